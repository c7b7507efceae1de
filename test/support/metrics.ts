// Scrapes /metrics over real HTTP and reads samples out of the Prometheus text format.

export interface Scrape {
  status: number;
  text: string;
  headers: Headers;
}

export async function scrape(url: string, authorization?: string): Promise<Scrape> {
  const response = await fetch(url, authorization === undefined ? {} : { headers: { authorization } });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** `name{a="1",b="2"} 3` → { name, labels: { a: '1', b: '2' }, value: 3 }, for every sample line. */
export function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const parsed = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[label[1]!] = label[2]!;
    parsed.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return parsed;
}

/** The value of the one sample with this name and exactly these labels; throws when there is none. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  const found = samples(text).filter((candidate) => candidate.name === name && JSON.stringify(Object.entries(candidate.labels).sort()) === wanted);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}
