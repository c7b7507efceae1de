// The supervisor dashboard: queues with their live counts, service level and abandonment; agents
// with their state per media type, load, time in state and current work; live charts; the event
// feed with filters; and one interaction's history from the reporting log. A supervisor acts from
// it (SPEC 9.3): moves or stops a waiting interaction (in the queue view) or any one found by id
// (in the history view), forces an agent not ready for a media type or logged out. Tables have
// captions and header cells, every control a label, so a screen reader can walk the page; each
// action's result is shown as text and read out.

import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Interaction, ReportingEvent } from '../../client/index.js';
import { fieldBounds } from '../../protocol/bounds.js';
import { Banner, LiveMessage, SignIn } from '../shared/components.js';
import { asText, clockTime, duration } from '../shared/format.js';
import { now } from '../shared/now.js';
import { fetchLayout, setToken, token } from '../shared/session.js';
import * as store from './store.js';

export function Dashboard() {
  const [needsToken, setNeedsToken] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [started, setStarted] = useState(false);

  const begin = async () => {
    const layout = await fetchLayout();
    if (layout === 'credentials') {
      setNeedsToken(true);
      return;
    }
    store.layout.value = layout;
    await store.start();
    setStarted(true);
  };
  useEffect(() => {
    begin().catch((failure: Error) => setError(failure.message));
  }, []);

  if (!started) {
    if (!needsToken && error === null) return <main><p role="status">Loading…</p></main>;
    return (
      <main>
        <SignIn
          title="openixn dashboard: sign in"
          needsToken={needsToken || token.value === null}
          // An API key is for one clientName: the page registers with the one it is given.
          fields={needsToken || token.value === null ? [{ name: 'clientName', label: 'Client name', initial: store.clientName.value }] : []}
          error={error}
          onSignIn={(values) => {
            setError(null);
            setToken(values.token ?? null);
            if (values.clientName !== undefined && values.clientName.trim() !== '') store.setClientName(values.clientName.trim());
            begin().catch((failure: { description?: string; message: string }) => {
              setToken(null);
              setError(failure.description ?? failure.message);
            });
          }}
        />
      </main>
    );
  }
  return (
    <>
      <header>
        <h1>openixn dashboard</h1>
        <p>Service level: answered within {store.serviceLevelSeconds} s, over the last {store.windowSeconds / 60} minutes. <a href="/agent" class="header-link">Agent desktop</a></p>
      </header>
      <Banner state={store.connection.value} />
      <LiveMessage text={store.notice.value} />
      {store.canAct.value === false && <p class="read-only">These credentials are not a supervisor's: the dashboard watches but cannot act.</p>}
      <ActionResult />
      <main class="dashboard">
        <Queues />
        <Charts />
        <Agents />
        <Feed />
        <HistoryLookup />
      </main>
    </>
  );
}

/** The protocol's bound on a reason (docs/protocol.md, Bounds). */
const { maxReasonLength } = fieldBounds;

function percent(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 100)} %`;
}

function Queues() {
  return (
    <section aria-labelledby="queues-title" class="wide">
      <h2 id="queues-title">Queues</h2>
      <table>
        <caption class="visually-hidden">Queues and their counts</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th><th scope="col">Waiting</th><th scope="col">Oldest waiting</th><th scope="col">Routing</th>
            <th scope="col">Invited</th><th scope="col">Handling</th><th scope="col">Service level</th><th scope="col">Abandoned</th>
            <th scope="col"><span class="visually-hidden">Waiting list</span></th>
          </tr>
        </thead>
        <tbody>
          {store.queues.value.map((row) => {
            const figures = store.queueFigures(row.queue);
            return (
              <tr key={row.queue}>
                <th scope="row">{row.queue}</th>
                <td data-count="waiting">{row.waiting}</td>
                <td>{row.oldestWaitingSeconds === null ? '—' : duration(row.oldestWaitingSeconds)}</td>
                <td>{row.routing}</td>
                <td>{row.invited}</td>
                <td>{row.handling}</td>
                <td>{percent(figures.serviceLevel)}</td>
                <td>{percent(figures.abandonment)}</td>
                <td><button type="button" aria-label={`Show waiting in ${row.queue}`} aria-pressed={store.queueContent.value?.queue === row.queue} onClick={() => void store.showQueue(row.queue)}>Show waiting</button></td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <WaitingList />
    </section>
  );
}

/** The result of the last supervisor action, as text: a status, or an alert when it failed. */
function ActionResult() {
  const result = store.actionResult.value;
  if (result === null) return null;
  return <p class={result.ok ? 'result' : 'result error'} role={result.ok ? 'status' : 'alert'}>{result.text}</p>;
}

function WaitingList() {
  const content = store.queueContent.value;
  if (content === null) return null;
  return (
    <table class="waiting">
      <caption>Waiting in {content.queue}</caption>
      <thead><tr><th scope="col">Interaction</th><th scope="col">Media</th><th scope="col">Subject</th><th scope="col">Waiting for</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        {content.interactions.length === 0 && <tr><td colSpan={5}>Nothing waiting.</td></tr>}
        {content.interactions.map((interaction) => (
          <tr key={interaction.interactionId}>
            <th scope="row">{interaction.interactionId}</th>
            <td>{interaction.mediaType}</td>
            <td>{asText(interaction.userData.subject ?? '')}</td>
            <td>{duration((now.value - Date.parse(interaction.placedInQueueAt)) / 1000)}</td>
            <td><InteractionActions interaction={interaction} /></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Move to another queue, or stop with a reason: a supervisor's actions on one interaction. The
 * server refuses both while an invite for it is out (InvalidState), and the refusal is shown.
 */
function InteractionActions({ interaction }: { interaction: Pick<Interaction, 'interactionId' | 'queue'> }) {
  const id = interaction.interactionId;
  const queues = (store.layout.value?.queues.map((entry) => entry.queue) ?? []).filter((queue) => queue !== interaction.queue);
  const [queue, setQueue] = useState(queues[0] ?? '');
  const [reason, setReason] = useState('');
  if (store.canAct.value !== true) return <span>—</span>;
  const target = queues.includes(queue) ? queue : (queues[0] ?? '');
  return (
    <div class="row-actions">
      <select aria-label={`Queue to move ${id} to`} value={target} onChange={(event) => setQueue((event.target as HTMLSelectElement).value)}>
        {queues.map((name) => <option key={name}>{name}</option>)}
      </select>
      <button type="button" aria-label={`Move to queue: ${id}`} disabled={target === ''} onClick={() => void store.moveToQueue(id, target)}>Move to queue</button>
      <input aria-label={`Reason to stop ${id}`} placeholder="reason" value={reason} maxLength={maxReasonLength} size={10} onInput={(event) => setReason((event.target as HTMLInputElement).value)} />
      <button type="button" aria-label={`Stop: ${id}`} onClick={() => void store.stopInteraction(id, reason.trim())}>Stop</button>
    </div>
  );
}

/** Force an agent not ready for one media type, or logged out, with a reason. */
function AgentActions({ agent }: { agent: store.AgentRow }) {
  const mediaTypes = Object.keys(agent.media);
  const [mediaType, setMediaType] = useState(mediaTypes[0] ?? '');
  const [reason, setReason] = useState('');
  if (store.canAct.value !== true) return <span>—</span>;
  const id = agent.agentId;
  return (
    <div class="row-actions">
      <select aria-label={`Media type to force ${id} not ready for`} value={mediaType} onChange={(event) => setMediaType((event.target as HTMLSelectElement).value)}>
        {mediaTypes.map((name) => <option key={name}>{name}</option>)}
      </select>
      <input aria-label={`Reason for ${id}`} placeholder="reason" value={reason} maxLength={maxReasonLength} size={10} onInput={(event) => setReason((event.target as HTMLInputElement).value)} />
      <button type="button" aria-label={`Force not ready: ${id}`} disabled={mediaType === ''} onClick={() => void store.forceNotReady(id, mediaType, reason.trim())}>Force not ready</button>
      <button type="button" aria-label={`Force logout: ${id}`} onClick={() => void store.forceLogout(id, reason.trim())}>Force logout</button>
    </div>
  );
}

function Agents() {
  const agents = store.agents.value;
  return (
    <section aria-labelledby="agents-title" class="wide">
      <h2 id="agents-title">Agents</h2>
      {agents === 'forbidden' ? <p>These credentials may not read the agents.</p> : agents.length === 0 ? <p>No agent is logged in.</p> : (
        <table>
          <caption class="visually-hidden">Logged-in agents</caption>
          <thead><tr><th scope="col">Agent</th><th scope="col">Place</th><th scope="col">Media</th><th scope="col">Current work</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {agents.map((agent) => (
              <tr key={agent.agentId}>
                <th scope="row">{agent.agentId}</th>
                <td>{agent.placeId}</td>
                <td>
                  <ul class="media-states">
                    {Object.entries(agent.media).map(([mediaType, state]) => {
                      const since = store.stateSince.value[agent.agentId]?.[mediaType];
                      return (
                        <li key={mediaType}>
                          <span class={state.ready ? 'ready' : 'not-ready'}>{mediaType} {state.ready ? 'ready' : `not ready${state.reason !== null ? ` (${state.reason})` : ''}`}</span>
                          {' '}{state.load}/{state.capacity}
                          {since !== undefined && <> for {duration((now.value - since) / 1000)}</>}
                        </li>
                      );
                    })}
                  </ul>
                </td>
                <td>{(store.work.value[agent.agentId] ?? []).join(', ') || '—'}</td>
                <td><AgentActions agent={agent} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** A uPlot chart of the given series, redrawn whenever they change. */
function Chart({ title, series, data }: { title: string; series: { label: string; stroke: string }[]; data: number[][] }) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  useEffect(() => {
    if (container.current === null) return undefined;
    chart.current = new uPlot({
      width: Math.max(280, container.current.clientWidth),
      height: 180,
      series: [{}, ...series.map((entry) => ({ label: entry.label, stroke: entry.stroke, width: 2 }))],
      // The whole window from the first sample: left to itself, uPlot spreads one sample over years
      // and a few over half-seconds, so a freshly opened dashboard showed "Apr 2027 … Aug 2029".
      scales: { x: { time: true, range: (chart, min, max) => {
        const last = chart.data[0].at(-1);
        return last === undefined ? [min, max] : [Math.min(chart.data[0][0]!, last - store.chartSeconds), last];
      } } },
      axes: [{}, { size: 40 }],
    }, data as uPlot.AlignedData, container.current);
    return () => chart.current?.destroy();
  }, []);
  useEffect(() => {
    chart.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  return <figure class="chart"><figcaption>{title}</figcaption><div ref={container} role="img" aria-label={title} /></figure>;
}

function Charts() {
  const rates = store.perSecond.value;
  const waiting = store.waitingOverTime.value;
  return (
    <section aria-labelledby="charts-title" class="wide charts">
      <h2 id="charts-title">Live</h2>
      <Chart title="Arrivals and completions per second" series={[{ label: 'arrivals', stroke: '#1d3557' }, { label: 'completions', stroke: '#e76f00' }]} data={[rates.seconds, rates.arrivals, rates.completions]} />
      <Chart title="Waiting over time" series={[{ label: 'waiting', stroke: '#1a7f37' }]} data={[waiting.seconds, waiting.waiting]} />
    </section>
  );
}

function describe(event: ReportingEvent): string {
  const parts: string[] = [];
  const attributes = event as Record<string, unknown>;
  for (const key of ['interactionId', 'agentId', 'queue', 'mediaType', 'reason']) if (attributes[key] !== undefined && attributes[key] !== null) parts.push(`${key} ${asText(attributes[key])}`);
  const party = attributes.party as { type: string; name?: string; agentId?: string } | undefined;
  if (party !== undefined) parts.push(`party ${party.type} ${party.agentId ?? party.name ?? ''}`);
  return parts.join(', ');
}

function Feed() {
  const [kind, setKind] = useState('');
  const [text, setText] = useState('');
  const kinds = [...new Set(store.feed.value.map((event) => event.message))].sort();
  const shown = store.feed.value.filter((event) => (kind === '' || event.message === kind) && (text === '' || describe(event).includes(text))).slice(0, 100);
  return (
    <section aria-labelledby="feed-title">
      <h2 id="feed-title">Events</h2>
      <div class="filters">
        <label>
          Event
          <select value={kind} onChange={(event) => setKind((event.target as HTMLSelectElement).value)}>
            <option value="">All</option>
            {kinds.map((name) => <option key={name}>{name}</option>)}
          </select>
        </label>
        <label>
          Containing
          <input value={text} placeholder="an id, agent or queue" onInput={(event) => setText((event.target as HTMLInputElement).value)} />
        </label>
      </div>
      {/* Focusable, so the keyboard can scroll it (axe: scrollable-region-focusable). */}
      <ol class="feed" aria-label="Recent events" tabIndex={0}>
        {shown.map((event) => (
          <li key={event.seq}><span class="seq">{event.seq}</span> <time>{clockTime(event.eventTime)}</time> <strong>{event.message}</strong> {describe(event)}</li>
        ))}
      </ol>
    </section>
  );
}

function HistoryLookup() {
  const [interactionId, setInteractionId] = useState('');
  const [clientName, setClientName] = useState('');
  const [externalId, setExternalId] = useState('');
  const [history, setHistory] = useState<store.History | null>(null);
  const [error, setError] = useState<string | null>(null);
  const find = (query: Parameters<typeof store.findHistory>[0]) => {
    setError(null);
    store.findHistory(query).then(setHistory, (failure: Error) => {
      setHistory(null);
      setError(failure.message);
    });
  };
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">History of an interaction</h2>
      <form class="filters" aria-label="Find by id" onSubmit={(event) => {
        event.preventDefault();
        find({ interactionId: interactionId.trim() });
      }}>
        <label>Interaction id <input value={interactionId} required onInput={(event) => setInteractionId((event.target as HTMLInputElement).value)} /></label>
        <button type="submit">Find</button>
      </form>
      <form class="filters" aria-label="Find by externalId" onSubmit={(event) => {
        event.preventDefault();
        find({ clientName: clientName.trim(), externalId: externalId.trim() });
      }}>
        <label>Media server <input value={clientName} required onInput={(event) => setClientName((event.target as HTMLInputElement).value)} /></label>
        <label>externalId <input value={externalId} required onInput={(event) => setExternalId((event.target as HTMLInputElement).value)} /></label>
        <button type="submit">Find by externalId</button>
      </form>
      {error !== null && <p class="error" role="alert">{error}</p>}
      {history !== null && history.events.at(-1)?.message !== 'EventProcessingStopped' && (
        <InteractionActions key={history.interactionId} interaction={{ interactionId: history.interactionId, queue: null }} />
      )}
      {history !== null && (
        <table>
          <caption>Interaction {history.interactionId}{history.events.at(-1)?.message === 'EventProcessingStopped' ? ' (stopped)' : ' (live)'}</caption>
          <thead><tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Details</th></tr></thead>
          <tbody>
            {history.events.map((event) => (
              <tr key={event.seq}><td>{event.seq}</td><td>{clockTime(event.eventTime)}</td><td>{event.message}</td><td>{describe(event)}</td></tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
