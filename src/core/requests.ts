// The requests the core executes, as the core needs them. The wire schemas in src/protocol/
// validate frames into these shapes; a compile-time check there keeps both in step.

import type { Condition } from './snapshot-condition.js';
import type { UserData } from './types.js';

export interface WorkbinRefInput {
  name: string;
  ownerId?: string;
}

export type MediaReadiness = 'ready' | 'notReady';

export type CoreRequest =
  | { message: 'RequestSubmit'; referenceId: number; queue: string; mediaType: string; type?: string; subtype?: string; priority?: number; userData?: UserData; externalId?: string; expiresAt?: string; scheduledAt?: string }
  | { message: 'RequestAgentLogin'; referenceId: number; agentId: string; placeId: string; media?: Record<string, MediaReadiness>; skills?: Record<string, number> }
  | { message: 'RequestAgentLogout'; referenceId: number }
  | { message: 'RequestNotReadyForMedia'; referenceId: number; mediaType: string; reason?: string }
  | { message: 'RequestCancelNotReadyForMedia'; referenceId: number; mediaType: string }
  | { message: 'RequestRouteCall'; referenceId: number; interactionId: string; agentId: string; placeId?: string }
  | { message: 'RequestAccept'; referenceId: number; ticketId: number; interactionId: string }
  | { message: 'RequestReject'; referenceId: number; ticketId: number; interactionId: string; reason?: string }
  | { message: 'RequestPull'; referenceId: number; queue?: string; workbin?: WorkbinRefInput; count?: number; interactionIds?: string[] }
  | { message: 'RequestPlaceInQueue'; referenceId: number; interactionId: string; queue: string; expiresAt?: string; scheduledAt?: string }
  | { message: 'RequestPlaceInWorkbin'; referenceId: number; interactionId: string; workbin: WorkbinRefInput }
  | { message: 'RequestStopProcessing'; referenceId: number; interactionId: string; reason?: string }
  | { message: 'RequestChangeProperties'; referenceId: number; interactionId: string; changedProperties?: UserData; deletedProperties?: string[] }
  | { message: 'RequestGetInteractionProperties'; referenceId: number; interactionId: string }
  | { message: 'RequestGetWorkbinContent'; referenceId: number; workbin: WorkbinRefInput }
  | { message: 'RequestWorkbinNotifications'; referenceId: number; workbin: WorkbinRefInput; subscribe: boolean }
  | { message: 'RequestForceAgentLogout'; referenceId: number; agentId: string; reason?: string }
  | { message: 'RequestForceNotReady'; referenceId: number; agentId: string; mediaType: string; reason?: string }
  | { message: 'RequestTakeSnapshot'; referenceId: number; queue?: string; workbin?: WorkbinRefInput; condition?: Condition; order?: SnapshotOrder; max?: number; lock?: boolean }
  | { message: 'RequestGetSnapshotInteractions'; referenceId: number; snapshotId: number; from?: number; count?: number }
  | { message: 'RequestReleaseSnapshot'; referenceId: number; snapshotId: number }
  | { message: 'RequestUnlockInteraction'; referenceId: number; snapshotId: number; interactionId: string }
  | { message: 'RequestMoveInteractions'; referenceId: number; snapshotId: number; queue?: string; workbin?: WorkbinRefInput }
  | { message: 'RequestStartReporting'; referenceId: number; fromSeq?: number }
  | { message: 'RequestTransfer'; referenceId: number; interactionId: string; agentId: string; placeId?: string; reason?: string }
  | { message: 'RequestConference'; referenceId: number; interactionId: string; agentId: string; placeId?: string; reason?: string }
  | { message: 'RequestCancelTransfer'; referenceId: number; interactionId: string }
  | { message: 'RequestLeaveInteraction'; referenceId: number; interactionId: string; reason?: string };

/** A snapshot's order: the queue's own, highest priority first (then oldest), or oldest submitted first. */
export type SnapshotOrder = 'queue' | 'priority' | 'age';

export type CoreRequestName = CoreRequest['message'];
