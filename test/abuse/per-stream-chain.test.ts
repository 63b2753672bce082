import { generateKeyPairSync } from 'node:crypto';
import { loadSigningKey } from '../../src/adapters/evidence-signing-key';
import { CHECKPOINT_STREAM, ChainHeadTracker } from '../../src/application/chain-checkpoints';
import { verifyLog } from '../../src/application/verify-log';
import { PerStreamChainStore } from '../support/per-stream-chain-store';
import { newEvent } from '../contract/event-store.contract';

const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/**
 * A chain per stream (EventStoreDB's) and the signed checkpoints of all
 * stream heads that catch what such a chain cannot: a stream cut short.
 */
describe('a per-stream chain with signed checkpoints of every head', () => {
  const signer = loadSigningKey(pem(), '/nonexistent');
  let store: PerStreamChainStore;
  let tracker: ChainHeadTracker;

  beforeEach(async () => {
    store = new PerStreamChainStore();
    tracker = new ChainHeadTracker(store, signer, () => new Date('2026-02-01T00:00:00Z'));
    for (const ci of ['ci-a', 'ci-b', 'ci-c']) {
      await store.append(ci, [newEvent(), newEvent()], 'no_stream');
    }
    await store.append('ci-a', [newEvent()], 2);
  });
  const verify = () => verifyLog(store, { checkpointKey: signer.publicKeyPem, pageSize: 2 });

  it('verifies, with a checkpoint signed over the heads, and checkpoints again only when the log moved', async () => {
    expect(await verify()).toMatchObject({ ok: true, events: 7, chain: 'per-stream' });
    expect(await tracker.checkpoint()).toMatchObject({ position: 7, streams: 3, keyId: signer.keyId });
    expect(await tracker.checkpoint()).toBeUndefined();
    await store.append('ci-b', [newEvent()], 2);
    expect(await tracker.checkpoint()).toMatchObject({ position: 9, streams: 3 });
    expect(await store.readStream(CHECKPOINT_STREAM)).toHaveLength(2);
    expect(await verify()).toMatchObject({ ok: true, events: 8 });
  });

  it('catches the end of one stream cut off before the checkpoint (its own chain cannot)', async () => {
    await tracker.checkpoint();
    store.events.splice(
      store.events.findIndex((event) => event.streamName === 'ci-a' && event.revision === 3),
      1,
    );
    expect(await verify()).toMatchObject({
      ok: false,
      position: 7,
      reason: expect.stringMatching(/heads at position 7 do not match the checkpoint signed at 2026-02-01/),
    });
  });

  it('catches an edited event, an event deleted from the middle of a stream, and a forged checkpoint', async () => {
    await tracker.checkpoint();
    const edited = store.events.findIndex((event) => event.position === 3);
    store.events[edited] = {
      ...store.events[edited]!,
      data: { ciId: 'x', patch: [{ op: 'add', path: '/name', value: 'x' }] },
    };
    expect(await verify()).toMatchObject({
      ok: false,
      position: 3,
      reason: expect.stringMatching(/content does not match/),
    });

    store = new PerStreamChainStore();
    await store.append('ci-a', [newEvent(), newEvent(), newEvent()], 'no_stream');
    store.events.splice(1, 1);
    expect(await verify()).toMatchObject({
      ok: false,
      position: 3,
      ciId: 'a',
      reason: expect.stringMatching(/previous event of its stream/),
    });

    store = new PerStreamChainStore();
    await store.append('ci-a', [newEvent()], 'no_stream');
    const forger = loadSigningKey(pem(), '/nonexistent');
    await new ChainHeadTracker(store, forger, () => new Date()).checkpoint();
    expect(await verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/not signed by this service/) });
  });
});
