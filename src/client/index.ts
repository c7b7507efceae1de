// openixn/client: one client per role of the openixn protocol, with reconnect and resume.
// Nothing here imports anything but the files beside it, so it runs in a browser as it is.

export { AgentClient, type AgentEvents } from './agent.js';
export { MediaServerClient, type MediaServerEvents } from './media-server.js';
export { RouterClient, type RouterEvents, type RouterOptions } from './router.js';
export { SupervisorClient, type SupervisorEvents } from './supervisor.js';
export { ReportingClient, reportingDefaults, type ReportingEvents, type ReportingOptions } from './reporting.js';
export { OpenixnClient, clientDefaults, type ClientOptions, type ClientState, type ConnectionEvents } from './client.js';
export type { InteractionClient, InteractionEvents } from './interaction-client.js';
export { OpenixnError, sdkErrorCodes, type OpenixnErrorCode, type SdkErrorCode } from './errors.js';
export type { Drop, Retry } from './connection.js';
export type { AnswerTo, ClientEvent, ClientEventName, ClientType, Interaction, ReportingEvent, ReportingEventName, RequestBody, RequestName, Workbin } from './protocol.js';
export type { WebSocketConstructor, WebSocketLike } from './socket.js';
