// Who may use the REST API's read-only views, which no WebSocket request serves. Every route that
// acts on an interaction is a protocol request carried out by the core, whose own table decides;
// this table covers only the views, and SECURITY.md's role table lists both.

import type { ClientGrants, ClientType } from '../core/types.js';

export type View = 'queues' | 'queueInteractions' | 'agents' | 'reportingEvents';

export interface Caller {
  clientType: ClientType;
  grants: ClientGrants;
}

/**
 * - queue counts: anyone registered; they name no customer and no agent.
 * - a queue's interactions (customer data): routers, reporting clients (they read every event
 *   anyway), media servers with scope `all`, and desktops for queues they may pull from.
 * - agents and their load: routers and reporting clients, who see logins in the stream anyway,
 *   and media servers with scope `all`.
 * - the reporting log: reporting clients, as RequestStartReporting.
 * - supervisors read everything (SPEC 9.3 step 1).
 */
export function mayRead(caller: Caller, view: View, queuePullable = false): boolean {
  if (caller.clientType === 'Supervisor') return true;
  switch (view) {
    case 'queues':
      return true;
    case 'queueInteractions':
      if (caller.clientType === 'AgentApplication') return queuePullable;
      return caller.clientType !== 'MediaServer' || caller.grants.mediaScope === 'all';
    case 'agents':
      return caller.clientType === 'RoutingEngine' || caller.clientType === 'ReportingEngine' || (caller.clientType === 'MediaServer' && caller.grants.mediaScope === 'all');
    case 'reportingEvents':
      return caller.clientType === 'ReportingEngine';
  }
}
