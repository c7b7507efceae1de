// An example routing strategy for openixn's built-in router.
//
// A customer's follow-up goes back to the agent who handled the first contact: the media server
// puts that agent in the interaction's user data (`preferred-agent`). The interaction waits up to
// 30 seconds for that agent to be free, then goes to the longest idle agent like any other.
//
// Use it for a queue in the config file (the path is relative to the config file):
//
//   queues:
//     follow-ups: { strategy: { module: ./examples/strategies/preferred-agent.js } }
//
// The interface: export `choose({ interaction, candidates, now })` and return the agentId to
// invite, or null to let the interaction wait (it is offered again whenever an agent becomes
// available, and at least every time this queue's other work moves).
//   interaction: { interactionId, queue, mediaType, priority, userData, enteredAt, routingSince }
//   candidates:  the available agents (logged in, ready for the media, below capacity, not in
//                reject cooldown), longest idle first:
//                [{ agentId, placeId, skills, idleSince, load, capacity }]
//   now:         the router's clock, in milliseconds since the epoch
// It runs inside the server for every decision: keep it quick, synchronous, and free of I/O.

const waitForPreferredMs = 30_000;

export function choose({ interaction, candidates, now }) {
  const preferred = interaction.userData['preferred-agent'];
  if (typeof preferred !== 'string') return candidates[0].agentId;
  if (candidates.some((candidate) => candidate.agentId === preferred)) return preferred;
  if (now - interaction.routingSince < waitForPreferredMs) return null;
  return candidates[0].agentId;
}
