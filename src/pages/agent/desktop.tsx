// The agent desktop: sign in, ready or not per media type, invites with their countdown, the
// agent's interactions with their user data and every action on them, and pulling work from
// queues and workbins. Every control is a native button, select or input with a visible label,
// so each has an accessible name and works from the keyboard. User data is shown as text; an
// e-mail's HTML body is sanitised by DOMPurify before it is shown.

import DOMPurify from 'dompurify';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Interaction } from '../../client/index.js';
import { Banner, LiveMessage, SignIn } from '../shared/components.js';
import { asText, duration } from '../shared/format.js';
import { now } from '../shared/now.js';
import { fetchLayout, setToken, token } from '../shared/session.js';
import * as store from './store.js';

/** User-data keys that hold an e-mail's HTML body: shown sanitised, not as text. */
const htmlBodyKeys = ['bodyHtml', 'htmlBody'];

// A link in an e-mail opens in a tab of its own: followed in this one, it would take the agent off
// the desktop, closing its connection and voiding its invites. No referrer or opener goes with it.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

/**
 * An e-mail's HTML body as markup that is safe to show: no scripts, handlers or javascript: URLs
 * (DOMPurify's defaults). Beyond those, its ids and names get a `user-content-` prefix, since an id
 * of the page's own (`pull-title`) would otherwise name a section of the desktop after the e-mail's
 * text for a screen reader; and forms, controls and style sheets go: the CSP leaves them dead, and
 * an e-mail's own "Accept" button could pass for the desktop's.
 */
function sanitizeEmailBody(html: string): string {
  return DOMPurify.sanitize(html, { SANITIZE_NAMED_PROPS: true, FORBID_TAGS: ['form', 'input', 'button', 'select', 'textarea', 'style'] });
}

export function Desktop() {
  const [needsToken, setNeedsToken] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void fetchLayout().then((layout) => {
      if (layout === 'credentials') setNeedsToken(true);
      else store.layout.value = layout;
    }, (failure: Error) => setError(failure.message));
  }, []);

  if (store.login.value === null) {
    return (
      <main>
        {store.signedOutBy.value !== null && <p class="forced" role="alert">{store.signedOutBy.value}</p>}
        <SignIn
          title="Sign in to openixn"
          needsToken={needsToken && token.value === null}
          error={error}
          fields={[{ name: 'agentId', label: 'Agent id' }, { name: 'placeId', label: 'Place' }]}
          onSignIn={async (values) => {
            setError(null);
            try {
              if (values.token !== undefined) setToken(values.token);
              if (store.layout.value === null) {
                const layout = await fetchLayout();
                if (layout === 'credentials') throw new Error('The token was not accepted.');
                store.layout.value = layout;
              }
              await store.signIn(values.agentId!, values.placeId!, []);
            } catch (failure) {
              setError((failure as { description?: string }).description ?? (failure as Error).message);
            }
          }}
        />
      </main>
    );
  }
  return (
    <>
      <header>
        <h1>openixn</h1>
        <p>{store.login.value.agentId} at {store.login.value.placeId}</p>
        <button type="button" onClick={() => void store.signOut()}>Log out</button>
      </header>
      <Banner state={store.connection.value} />
      <LiveMessage text={store.notice.value} />
      <main class="desktop">
        <Readiness />
        <Invites />
        <MyWork />
        <PullWork />
      </main>
    </>
  );
}

function Readiness() {
  const [reasons, setReasons] = useState<Record<string, string>>({});
  return (
    <section aria-labelledby="readiness-title">
      <h2 id="readiness-title">Readiness</h2>
      <ul class="readiness">
        {store.mediaTypes.value.map((mediaType) => {
          const state = store.readiness.value[mediaType] ?? { ready: false, reason: null };
          return (
            <li key={mediaType}>
              <span class={state.ready ? 'ready' : 'not-ready'}>{mediaType}: {state.ready ? 'ready' : `not ready${state.reason !== null ? ` (${state.reason})` : ''}`}</span>
              {state.ready ? (
                <>
                  <label>
                    Reason
                    <select value={reasons[mediaType] ?? 'Break'} onChange={(event) => setReasons({ ...reasons, [mediaType]: (event.target as HTMLSelectElement).value })}>
                      {['Break', 'Lunch', 'Meeting', 'Training', 'Coaching'].map((reason) => <option key={reason}>{reason}</option>)}
                    </select>
                  </label>
                  <button type="button" aria-label={`Not ready for ${mediaType}`} onClick={() => void store.setReady(mediaType, false, reasons[mediaType] ?? 'Break')}>Not ready</button>
                </>
              ) : (
                <button type="button" aria-label={`Ready for ${mediaType}`} onClick={() => void store.setReady(mediaType, true, '')}>Ready</button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function Invites() {
  const invites = store.invites.value;
  return (
    <section aria-labelledby="invites-title">
      <h2 id="invites-title">Invites</h2>
      {invites.length === 0 ? <p>No invite.</p> : (
        <ul class="invites">
          {invites.map((invite) => {
            const left = Math.max(0, Math.ceil((invite.deadline - now.value) / 1000));
            const subject = asText(invite.interaction.userData.subject ?? invite.interaction.interactionId);
            return (
              <li key={invite.ticketId} class="invite" aria-label={`Invite: ${invite.interaction.mediaType}, ${subject}`}>
                <p><strong>{invite.interaction.mediaType}</strong> {subject}</p>
                {invite.operation !== undefined && <p class="operation">{invite.operation} from {invite.fromAgentId ?? 'another agent'}</p>}
                <p><span class="countdown" role="timer">{left} s left</span></p>
                {/* Apart, and large enough for a finger: a slip must not reject what was meant to be accepted. */}
                <div class="actions invite-actions">
                  <button type="button" class="primary" onClick={() => void store.accept(invite)}>Accept</button>
                  <button type="button" onClick={() => void store.reject(invite)}>Reject</button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function MyWork() {
  const owned = store.owned.value;
  const selected = store.selected.value;
  return (
    <section aria-labelledby="work-title" class="work">
      <h2 id="work-title">My interactions</h2>
      {owned.length === 0 ? <p>Nothing in hand.</p> : (
        <ul class="owned" aria-label="My interactions">
          {owned.map(({ interaction }) => (
            <li key={interaction.interactionId}>
              <button type="button" aria-pressed={selected?.interaction.interactionId === interaction.interactionId} onClick={() => (store.selectedId.value = interaction.interactionId)}>
                {interaction.mediaType}: {asText(interaction.userData.subject ?? interaction.interactionId)}
              </button>
            </li>
          ))}
        </ul>
      )}
      {selected !== null && <Details interaction={selected.interaction} since={selected.since} />}
    </section>
  );
}

function Details({ interaction, since }: { interaction: Interaction; since: number }) {
  const layout = store.layout.value;
  const queues = layout?.queues.map((entry) => entry.queue) ?? [];
  const workbins = layout?.workbins.filter((entry) => entry.owner === 'agent' || entry.owner === 'place').map((entry) => entry.workbin) ?? [];
  const [queue, setQueue] = useState(queues[0] ?? '');
  const [workbin, setWorkbin] = useState(workbins[0] ?? '');
  const [disposition, setDisposition] = useState(asText(interaction.userData.disposition ?? 'Resolved'));
  const id = interaction.interactionId;
  // Leave is for a conference; alone, an agent places the interaction elsewhere or stops it.
  const conference = interaction.parties.length > 1;
  const html = htmlBodyKeys.map((key) => interaction.userData[key]).find((value): value is string => typeof value === 'string');
  // Once per body, not per render: the handling timer renders this every second.
  const safeHtml = useMemo(() => (html === undefined ? undefined : sanitizeEmailBody(html)), [html]);
  return (
    <article aria-label={`Interaction ${id}`} class="details">
      <h3>{asText(interaction.userData.subject ?? id)}</h3>
      <p>{interaction.mediaType}, {interaction.type}/{interaction.subtype}, id {id}. Handling for <span role="timer">{duration((now.value - since) / 1000)}</span>.</p>
      <table>
        <caption>User data</caption>
        <tbody>
          {Object.entries(interaction.userData).filter(([key]) => !htmlBodyKeys.includes(key)).map(([key, value]) => (
            <tr key={key}><th scope="row">{key}</th><td>{asText(value)}</td></tr>
          ))}
        </tbody>
      </table>
      {safeHtml !== undefined && (
        // The CSP blocks what is left of remote content (images elsewhere, for one).
        <div class="email-body" aria-label="E-mail body" dangerouslySetInnerHTML={{ __html: safeHtml }} />
      )}
      {conference && <p>Parties: {interaction.parties.map((party) => `${party.agentId} (${party.role})`).join(', ')}</p>}
      <HandOff interactionId={id} />
      <div class="actions">
        <label>
          Queue
          <select value={queue} onChange={(event) => setQueue((event.target as HTMLSelectElement).value)}>
            {queues.map((name) => <option key={name}>{name}</option>)}
          </select>
        </label>
        <button type="button" disabled={queue === ''} onClick={() => void store.placeInQueue(id, queue)}>Place in queue</button>
        <label>
          Workbin
          <select value={workbin} onChange={(event) => setWorkbin((event.target as HTMLSelectElement).value)}>
            {workbins.map((name) => <option key={name}>{name}</option>)}
          </select>
        </label>
        <button type="button" disabled={workbin === ''} onClick={() => void store.placeInWorkbin(id, workbin)}>Place in workbin</button>
        <label>
          Disposition
          <input value={disposition} maxLength={256} onInput={(event) => setDisposition((event.target as HTMLInputElement).value)} />
        </label>
        <button type="button" onClick={() => void store.setDisposition(id, disposition)}>Save disposition</button>
      </div>
      {/* Ending the work stands apart from the controls that move it, so that neither is taken for the other. */}
      <div class="actions finish">
        <button type="button" onClick={() => void store.stop(id)}>Stop</button>
        {conference && <button type="button" onClick={() => void store.leave(id)}>Leave</button>}
      </div>
    </article>
  );
}

/**
 * Transfer or conference to another agent (SPEC 9.1, 9.2): the target's agent id and, optionally,
 * place. While the invite is out the interaction stays here with Cancel transfer; a failure shows
 * its reason; a transfer's accept takes the interaction off this list.
 */
function HandOff({ interactionId }: { interactionId: string }) {
  const [agentId, setAgentId] = useState('');
  const [placeId, setPlaceId] = useState('');
  const handOff = store.handOffs.value[interactionId];
  if (handOff?.state === 'pending') {
    return (
      <div class="actions hand-off">
        <p role="status">{handOff.operation} to {handOff.agentId} pending…</p>
        <button type="button" onClick={() => void store.cancelTransfer(interactionId)}>Cancel transfer</button>
      </div>
    );
  }
  return (
    <form class="actions hand-off" aria-label="Transfer or conference" onSubmit={(event) => {
      event.preventDefault();
      void store.handOff('Transfer', interactionId, agentId.trim(), placeId.trim());
    }}>
      {handOff?.state === 'failed' && <p class="error" role="alert">{handOff.operation} to {handOff.agentId} failed: {handOff.reason}</p>}
      <label>
        Target agent
        <input value={agentId} required maxLength={256} onInput={(event) => setAgentId((event.target as HTMLInputElement).value)} />
      </label>
      <label>
        Target place (optional)
        <input value={placeId} maxLength={256} onInput={(event) => setPlaceId((event.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" disabled={agentId.trim() === ''}>Transfer</button>
      <button type="button" disabled={agentId.trim() === ''} onClick={() => void store.handOff('Conference', interactionId, agentId.trim(), placeId.trim())}>Conference</button>
    </form>
  );
}

function PullWork() {
  const layout = store.layout.value;
  const queues = layout?.queues.filter((entry) => entry.pullable).map((entry) => entry.queue) ?? [];
  const workbins = layout?.workbins.filter((entry) => entry.owner === 'agent' || entry.owner === 'place').map((entry) => entry.workbin) ?? [];
  const [queue, setQueue] = useState(queues[0] ?? '');
  const [workbin, setWorkbin] = useState(workbins[0] ?? '');
  const queueContent = store.queueContent.value;
  const workbinContent = store.workbinContent.value;
  return (
    <section aria-labelledby="pull-title">
      <h2 id="pull-title">Pull work</h2>
      <div class="pull">
        <label>
          From queue
          <select value={queue} onChange={(event) => setQueue((event.target as HTMLSelectElement).value)}>
            {queues.map((name) => <option key={name}>{name}</option>)}
          </select>
        </label>
        <button type="button" disabled={queue === ''} onClick={() => void store.pull({ queue })}>Pull next</button>
        <button type="button" disabled={queue === ''} onClick={() => void store.showQueue(queue)}>Show waiting</button>
      </div>
      {queueContent !== null && <Waiting title={`Waiting in ${queueContent.queue}`} interactions={queueContent.interactions} onPull={(ids) => void store.pull({ queue: queueContent.queue }, ids)} />}
      <div class="pull">
        <label>
          Workbin
          <select value={workbin} onChange={(event) => setWorkbin((event.target as HTMLSelectElement).value)}>
            {workbins.map((name) => <option key={name}>{name}</option>)}
          </select>
        </label>
        <button type="button" disabled={workbin === ''} onClick={() => void store.showWorkbin(workbin)}>Open workbin</button>
      </div>
      {workbinContent !== null && <Waiting title={`In workbin ${workbinContent.workbin}`} interactions={workbinContent.interactions} onPull={(ids) => void store.pull({ workbin: workbinContent.workbin }, ids)} />}
    </section>
  );
}

function Waiting({ title, interactions, onPull }: { title: string; interactions: Interaction[]; onPull: (interactionIds: string[]) => void }) {
  return (
    <table class="waiting">
      <caption>{title}</caption>
      <thead><tr><th scope="col">Subject</th><th scope="col">Media</th><th scope="col">Waiting since</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
      <tbody>
        {interactions.length === 0 && <tr><td colSpan={4}>Empty.</td></tr>}
        {interactions.map((interaction) => {
          const subject = asText(interaction.userData.subject ?? interaction.interactionId);
          return (
            <tr key={interaction.interactionId}>
              <td>{subject}</td>
              <td>{interaction.mediaType}</td>
              <td>{duration((now.value - Date.parse(interaction.placedInQueueAt)) / 1000)}</td>
              <td><button type="button" aria-label={`Pull ${subject}`} onClick={() => onPull([interaction.interactionId])}>Pull</button></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
