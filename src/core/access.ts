// Who may touch which interaction and workbin (SPEC section 5, and 9.1–9.2 for the parties of a
// transfer or conference): the rules in one place, as pure checks that throw a RequestError
// before anything changes. The core's handlers call them and then make their moves.

import type { CoreConfig } from './config.js';
import { RequestError } from './errors.js';
import type { WorkbinRefInput } from './requests.js';
import type { Agent, Client, Interaction, WorkbinRef } from './types.js';

/** What an agent hears about an interaction it does not hold, whatever the interaction's state. */
function notYoursDescription(interactionId: string): string {
  return `Interaction ${interactionId} is not yours, or not in a state that allows this.`;
}

/**
 * The owner agent (handling) or the holding router (routing; with `invitedToo`, also invited)
 * may act on an interaction; anyone else is refused, and nobody may while it only waits. With
 * `anyParty`, a conference's participants may too (SPEC 9.2: they read, change and stop it; only
 * the owner moves it). A supervisor may act on any that is not invited (SPEC 9.3 step 1).
 * `agent` is the client's logged-in agent when the client is an agent application.
 */
export function requireHolder(client: Client, agent: Agent | null, interaction: Interaction, invitedToo: boolean, agents: 'owner' | 'anyParty' = 'owner'): void {
  const id = interaction.interactionId;
  if (agent !== null) {
    if (interaction.state === 'handling' && interaction.assignedTo === agent.agentId) return;
    if (agents === 'anyParty' && isParticipant(interaction, agent.agentId)) return;
    // One answer whatever the reason: an agent must not learn the state of other people's work.
    throw new RequestError('Forbidden', notYoursDescription(id));
  }
  if (client.clientType === 'RoutingEngine') {
    const held = interaction.state === 'routing' || (invitedToo && interaction.state === 'invited');
    if (held && interaction.routerId === client.clientId) return;
    if (interaction.routerId !== null && interaction.routerId !== client.clientId) {
      throw new RequestError('Forbidden', `Interaction ${id} is held by another router.`);
    }
    throw new RequestError('InvalidState', `Interaction ${id} is ${interaction.state}; only the router holding it while routing may do this.`);
  }
  if (client.clientType === 'Supervisor') {
    // SPEC 9.3 step 1: any interaction, except while an invite is out: the agent may be accepting it.
    if (interaction.state !== 'invited') return;
    throw new RequestError('InvalidState', `Interaction ${id} is invited: an agent is answering an invite for it. Try again once the invite is accepted, rejected or revoked.`);
  }
  throw new RequestError('Forbidden', `A client of type ${client.clientType} may not act on interaction ${id}.`);
}

/** A conference's participant (SPEC 9.2), not its owner. */
export function isParticipant(interaction: Interaction, agentId: string): boolean {
  return interaction.participants.some((participant) => participant.agentId === agentId);
}

/** Snapshots read whole queues and workbins: a media server limited to what it submitted takes none (SPEC 9.3 step 2). */
export function requireSnapshotter(client: Client, request: string): void {
  if (client.clientType === 'MediaServer' && client.grants.mediaScope !== 'all') {
    throw new RequestError('Forbidden', `${request} is refused: media server "${client.clientName}" may act only on what it submitted (media scope "submitted"), and a snapshot reads a whole queue or workbin.`);
  }
}

/** A media server limited to what it submitted (media scope `submitted`) may act only on that. */
export function requireSubmitter(client: Client, interaction: Interaction, request: string): void {
  if (client.grants.mediaScope === 'all' || interaction.submittedBy === client.clientName) return;
  throw new RequestError('Forbidden', `${request} on interaction ${interaction.interactionId} is refused: it was submitted by another media server, and "${client.clientName}" may act only on what it submitted (media scope "submitted").`);
}

/**
 * Who may read an interaction's properties: its owner or invited agent, or an agent that may use
 * the workbin it waits in; the router holding it; a media server within its scope; any supervisor.
 */
export function requireReader(config: CoreConfig, client: Client, agent: Agent | null, interaction: Interaction): void {
  if (agent !== null) {
    const owner = interaction.state === 'handling' && (interaction.assignedTo === agent.agentId || isParticipant(interaction, agent.agentId));
    const invited = interaction.ticket?.agentId === agent.agentId || interaction.consultation?.agentId === agent.agentId;
    const inReadableWorkbin = interaction.state === 'queued' && interaction.workbin !== null && mayUseWorkbin(config, agent, interaction.workbin);
    if (!owner && !invited && !inReadableWorkbin) {
      throw new RequestError('Forbidden', `Interaction ${interaction.interactionId} is neither handled by, offered to, nor in a workbin of agent "${agent.agentId}".`);
    }
  } else if (client.clientType === 'RoutingEngine' && interaction.routerId !== client.clientId) {
    throw new RequestError('Forbidden', `Interaction ${interaction.interactionId} is not held by this router.`);
  } else if (client.clientType === 'MediaServer') {
    requireSubmitter(client, interaction, 'RequestGetInteractionProperties');
  }
}

/**
 * Resolves a workbin reference and checks that the client may use it (SPEC section 5, Workbins).
 * `agentOf` gives the client's agent (or null for another client type) once the workbin is known
 * to exist: an unknown workbin is UnknownWorkbin whether or not the agent has logged in.
 */
export function resolveWorkbin(config: CoreConfig, client: Client, agentOf: () => Agent | null, reference: WorkbinRefInput): WorkbinRef {
  const definition = config.workbins.get(reference.name);
  if (definition === undefined) throw new RequestError('UnknownWorkbin', `There is no workbin named "${reference.name}".`);
  if (client.clientType === 'MediaServer' && client.grants.mediaScope === 'submitted') {
    // A workbin holds other clients' work; a media server limited to its own has no business there.
    throw new RequestError('Forbidden', `Workbin "${reference.name}" is refused: media server "${client.clientName}" may act only on what it submitted (media scope "submitted"), not on workbins.`);
  }
  const agent = agentOf();
  let ownerId = reference.ownerId;
  if (ownerId === undefined) {
    if (agent !== null && definition.owner === 'agent') ownerId = agent.agentId;
    else if (agent !== null && definition.owner === 'place') ownerId = agent.placeId;
    else throw new RequestError('InvalidRequest', `Workbin "${reference.name}" belongs to a ${definition.owner}: name its ownerId.`);
  }
  if (definition.owner === 'agentGroup' && !config.agentGroups.has(ownerId)) {
    throw new RequestError('UnknownWorkbin', `There is no agent group "${ownerId}" to own workbin "${reference.name}".`);
  }
  if (definition.owner === 'placeGroup' && !config.placeGroups.has(ownerId)) {
    throw new RequestError('UnknownWorkbin', `There is no place group "${ownerId}" to own workbin "${reference.name}".`);
  }
  const workbin = { name: reference.name, ownerId };
  if (agent !== null && !mayUseWorkbin(config, agent, workbin)) {
    throw new RequestError('Forbidden', `Agent "${agent.agentId}" may not use workbin "${workbin.name}" of "${ownerId}".`);
  }
  return workbin;
}

/** An agent may use its own workbins, its place's, and those of the groups it belongs to. */
export function mayUseWorkbin(config: CoreConfig, agent: Pick<Agent, 'agentId' | 'placeId'>, workbin: WorkbinRef): boolean {
  switch (config.workbins.get(workbin.name)?.owner) {
    case 'agent': return workbin.ownerId === agent.agentId;
    case 'place': return workbin.ownerId === agent.placeId;
    case 'agentGroup': return config.agentGroups.get(workbin.ownerId)?.has(agent.agentId) === true;
    case 'placeGroup': return config.placeGroups.get(workbin.ownerId)?.has(agent.placeId) === true;
    default: return false;
  }
}
