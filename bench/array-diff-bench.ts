import { createPatch } from 'rfc6902';
import { diffDocuments, type CiDocument } from '../src/domain';
import { serverDocument } from './fixtures';
import { withService } from './http-bench';
import { figure, nowMs, type Figure } from './stats';

/**
 * A server whose attributes list its installed packages, as discovery tools
 * send them: `version` changes 1% of them (every hundredth, from the 8th).
 */
export function packagesDocument(count: number, version: number): CiDocument {
  return {
    type: 'server',
    name: `srv-packages-${count}`,
    status: 'live',
    attributes: {
      packages: Array.from({ length: count }, (_, i) => `pkg-${i}-1.${i % 100 === 7 ? version : 0}`),
    },
    relationships: [],
  };
}

/** The same server with its packages in reverse order at odd versions: every element moves. */
export function reorderedPackagesDocument(count: number, version: number): CiDocument {
  const document = packagesDocument(count, 0);
  if (version % 2 === 1) (document.attributes['packages'] as string[]).reverse();
  return document;
}

/**
 * The latency of PUTs of `documentAt(count, version)` for versions 1 to
 * `requests`, after version 0, for each count (a CI each), one at a time on
 * one connection, through the real service (the diff runs on its event loop,
 * so this is what every other request waited for too).
 */
export async function putLargeArrays(
  counts: readonly number[],
  requests: number,
  documentAt: (count: number, version: number) => CiDocument = packagesDocument,
): Promise<Figure[]> {
  return withService(async (service) => {
    const figures: Figure[] = [];
    for (const count of counts) {
      const url = `${service.url}/api/v1/cis/srv-packages-${count}`;
      const put = async (version: number) => {
        const res = await fetch(url, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-actor': 'discovery' },
          body: JSON.stringify(documentAt(count, version)),
        });
        if (!res.ok) throw new Error(`PUT of ${count} packages: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      };
      await put(0);
      const times: number[] = [];
      for (let version = 1; version <= requests; version++) {
        const started = nowMs();
        await put(version);
        times.push(nowMs() - started);
      }
      figures.push(figure(times));
    }
    return figures;
  });
}

/**
 * One diff of two `count`-element documents 1% apart, in this process: by
 * diffDocuments, and by rfc6902's own array diff (what diffDocuments was),
 * each timed `runs` times.
 */
export function arrayDiffTimes(count: number, runs: number): { ours: Figure; rfc6902: Figure } {
  const before = packagesDocument(count, 0);
  const after = packagesDocument(count, 1);
  const time = (diff: () => unknown) => {
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const started = nowMs();
      diff();
      times.push(nowMs() - started);
    }
    return figure(times);
  };
  return {
    ours: time(() => diffDocuments(before, after)),
    rfc6902: time(() => createPatch(before, after)),
  };
}

/**
 * Microseconds per diff of the HTTP section's PUT documents (arrays of two
 * and three elements), by diffDocuments and by rfc6902 alone, warm: the mean
 * over `diffs` diffs, `runs` times, alternating.
 */
export function serverDiffMicros(diffs: number, runs: number): { ours: Figure; rfc6902: Figure } {
  const pairs = Array.from({ length: 200 }, (_, k) => [serverDocument(k, k), serverDocument(k, k + 1)] as const);
  const mean = (diff: (from: CiDocument, to: CiDocument) => unknown) => {
    const started = nowMs();
    for (let i = 0; i < diffs; i++) diff(...pairs[i % pairs.length]!);
    return ((nowMs() - started) * 1000) / diffs;
  };
  const ours: number[] = [];
  const theirs: number[] = [];
  mean(diffDocuments);
  mean(createPatch);
  for (let run = 0; run < runs; run++) {
    ours.push(mean(diffDocuments));
    theirs.push(mean(createPatch));
  }
  return { ours: figure(ours), rfc6902: figure(theirs) };
}
