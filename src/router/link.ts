// Links the core and the built-in router, the one way every driver does it: the server (through
// in-process connections and group commit), the simulator, the test harness and the routing
// benchmark (driving both by hand on virtual time). The router is a RoutingEngine naming the
// builtin queues and a ReportingEngine reading the stream live, on two connections of its own:
// what the core sends to the first goes to router.onMessage, reporting events to router.onReport,
// and the router's requests go back into the core from the first, after the whole delivery that
// caused them (router.ts says why).

import type { Core } from '../core/core.js';
import type { ClientEvent, ReportingEvent } from '../core/events.js';
import { inProcessGrants, type ClientType, type Outgoing } from '../core/types.js';
import { Router, type RouterRequest } from './router.js';

/** The connection ids the router's two clients have in every driver. */
export const routingClientId = 'builtin-router';
export const reportingClientId = 'builtin-router-reporting';
/** Its client name: reporting names the Strategy party by it, and no other client may take it. */
export const builtinRouterName = 'builtin-router';

/** A registration the driver makes for the router, in order: reporting first, so it hears the events about its own offers. */
export interface RouterRegistration {
  clientId: string;
  request: { message: 'RequestRegisterClient'; referenceId: number; clientType: ClientType; clientName: string; queues?: string[] };
}

export class RouterLink {
  readonly router: Router;
  /** Reporting events reach the router only once its reporting has started (live, from the next event). */
  private reporting = false;

  constructor(router: Router) {
    this.router = router;
  }

  registrations(): RouterRegistration[] {
    return [
      { clientId: reportingClientId, request: { message: 'RequestRegisterClient', referenceId: 1, clientType: 'ReportingEngine', clientName: builtinRouterName } },
      { clientId: routingClientId, request: { message: 'RequestRegisterClient', referenceId: 1, clientType: 'RoutingEngine', clientName: builtinRouterName, queues: this.router.queues() } },
    ];
  }

  /** The request that starts the router's reporting: live, without fromSeq. */
  readonly startReporting = { message: 'RequestStartReporting', referenceId: 2 } as const;

  /** Connects the router straight to a core, for the drivers without a shell: both clients registered, reporting started. */
  connect(core: Core, now: number): void {
    const [reporting, routing] = this.registrations() as [RouterRegistration, RouterRegistration];
    core.register({ clientId: reporting.clientId, now }, reporting.request.referenceId, reporting.request.clientType, reporting.request.clientName, undefined, inProcessGrants);
    core.request({ clientId: reporting.clientId, now }, this.startReporting);
    this.reporting = true;
    core.register({ clientId: routing.clientId, now }, routing.request.referenceId, routing.request.clientType, routing.request.clientName, routing.request.queues, inProcessGrants);
  }

  /** The shell started the router's reporting on its connection. */
  reportingStarted(): void {
    this.reporting = true;
  }

  /** Hands the router what the core sent it; true when the message was the router's (another recipient may still want a reporting event). */
  deliver(outgoing: Outgoing, now: number): boolean {
    if (outgoing.to === null) {
      if (this.reporting) this.router.onReport(outgoing.message, now);
      return false;
    }
    if (outgoing.to === routingClientId) {
      this.router.onMessage(outgoing.message, now);
      return true;
    }
    return outgoing.to === reportingClientId;
  }

  /**
   * A message that reached one of the router's in-process connections in the server. What reaches
   * them is what the core built (the shell adds only the EventAck of the registrations), so the
   * typed events are read back as the core typed them.
   */
  hear(clientId: string, message: { message: string }, now: number): void {
    if (clientId === routingClientId) this.router.onMessage(message as ClientEvent, now);
    else if (clientId === reportingClientId && this.reporting) this.router.onReport(message as ReportingEvent, now);
  }

  /** Makes the router's decisions and feeds its requests to the core, in order, from its routing connection. */
  feed(core: Core, now: number, onRequest?: (request: RouterRequest) => void): number {
    const requests = this.router.takeRequests();
    this.send(core, now, requests, onRequest);
    return requests.length;
  }

  /** Sends requests the router decided (feed, split for a driver that times the two apart). */
  send(core: Core, now: number, requests: readonly RouterRequest[], onRequest?: (request: RouterRequest) => void): void {
    for (const request of requests) {
      onRequest?.(request);
      core.request({ clientId: routingClientId, now }, request);
    }
  }

  /**
   * Delivers the core's output and feeds the router's requests back until nothing moves, for the
   * drivers without a shell; `observe` sees every message after the router has had it.
   */
  settle(core: Core, now: number, observe?: (outgoing: Outgoing) => void): void {
    for (;;) {
      for (const outgoing of core.takeEffects().out) {
        this.deliver(outgoing, now);
        observe?.(outgoing);
      }
      if (this.feed(core, now) === 0) return;
    }
  }
}
