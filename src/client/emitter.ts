// Typed listeners: `on(name, listener)` where the map of names to payloads is the client's own,
// so an agent's `on('EventInvite', …)` is given an EventInvite. A listener that throws is
// reported on 'error' and does not stop the others (nor the SDK's reading of the socket).

type Listener<Payload> = (payload: Payload) => void;

export class Emitter<Events extends object> {
  /**
   * Types only, never set: the map of event names to payloads, so that a generic helper can find
   * a client's events (`Client['eventMap']`); inference cannot reach them through `on`.
   */
  declare readonly eventMap?: Events;
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  /** Adds a listener; returns a function that removes it. */
  on<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => this.off(name, listener);
  }

  /** Adds a listener that is removed after its first call. */
  once<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): () => void {
    const remove = this.on(name, (payload) => {
      remove();
      listener(payload);
    });
    return remove;
  }

  off<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): void {
    this.listeners.get(name)?.delete(listener as Listener<never>);
  }

  /** Whether anyone listens: the client skips building payloads nobody reads. */
  protected listens(name: keyof Events): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }

  protected emit<Name extends keyof Events>(name: Name, payload: Events[Name]): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        (listener as Listener<Events[Name]>)(payload);
      } catch (error) {
        // An 'error' listener that throws has nowhere to report to: it becomes an uncaught error,
        // outside the SDK's handling of the socket.
        if (name === 'error') queueMicrotask(() => { throw error; });
        else this.onListenerError(error);
      }
    }
  }

  /** A listener threw; the client reports it on its 'error' event. */
  protected onListenerError(_error: unknown): void {}
}
