// The requests the core executes, as the core needs them. The wire schemas in src/protocol/
// validate frames into these shapes; a compile-time check there keeps both in step.

import type { UserData } from './types.js';

export interface WorkbinRefInput {
  name: string;
  ownerId?: string;
}

export type MediaReadiness = 'ready' | 'notReady';

export type CoreRequest =
  | { message: 'RequestSubmit'; referenceId: number; queue: string; mediaType: string; type?: string; subtype?: string; priority?: number; userData?: UserData; externalId?: string }
  | { message: 'RequestAgentLogin'; referenceId: number; agentId: string; placeId: string; media?: Record<string, MediaReadiness>; skills?: Record<string, number> }
  | { message: 'RequestAgentLogout'; referenceId: number }
  | { message: 'RequestNotReadyForMedia'; referenceId: number; mediaType: string; reason?: string }
  | { message: 'RequestCancelNotReadyForMedia'; referenceId: number; mediaType: string }
  | { message: 'RequestRouteCall'; referenceId: number; interactionId: string; agentId: string; placeId?: string }
  | { message: 'RequestAccept'; referenceId: number; ticketId: number; interactionId: string }
  | { message: 'RequestReject'; referenceId: number; ticketId: number; interactionId: string; reason?: string }
  | { message: 'RequestPull'; referenceId: number; queue?: string; workbin?: WorkbinRefInput; count?: number; interactionIds?: string[] }
  | { message: 'RequestPlaceInQueue'; referenceId: number; interactionId: string; queue: string }
  | { message: 'RequestPlaceInWorkbin'; referenceId: number; interactionId: string; workbin: WorkbinRefInput }
  | { message: 'RequestStopProcessing'; referenceId: number; interactionId: string; reason?: string }
  | { message: 'RequestChangeProperties'; referenceId: number; interactionId: string; changedProperties?: UserData; deletedProperties?: string[] }
  | { message: 'RequestGetInteractionProperties'; referenceId: number; interactionId: string }
  | { message: 'RequestGetWorkbinContent'; referenceId: number; workbin: WorkbinRefInput }
  | { message: 'RequestWorkbinNotifications'; referenceId: number; workbin: WorkbinRefInput; subscribe: boolean }
  | { message: 'RequestStartReporting'; referenceId: number; fromSeq?: number };

export type CoreRequestName = CoreRequest['message'];
