import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Publisher, RelayItem } from '../../ports/publisher';
import {
  changeClaimCheck,
  changeRecord,
  stateClaimCheck,
  stateRecord,
  topicNames,
  withinLimit,
  type KafkaRecord,
} from './cloud-events';

/** Kafka's default message.max.bytes is 1,048,588; headers and batch framing need the rest. */
export const DEFAULT_MAX_MESSAGE_BYTES = 900_000;

/** Consecutive pairs of records whose values add up to at most `limit` bytes per topic (always one at least). */
function* byteBoundedChunks<T extends { change: KafkaRecord; state: KafkaRecord }>(
  records: readonly T[],
  limit: number,
): Generator<T[]> {
  let chunk: T[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = Math.max(Buffer.byteLength(record.change.value), Buffer.byteLength(record.state.value));
    if (chunk.length > 0 && bytes + size > limit) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(record);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}

export interface KafkaPublisherOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** Prefix of both topic names (default `configledger.`). */
  readonly topicPrefix: string;
  /** Partitions for topics this publisher creates. */
  readonly partitions: number;
  readonly replicationFactor: number;
  /** retention.ms of the change topic this publisher creates; -1 keeps every change (replay from any time). */
  readonly changesRetentionMs?: number;
  /**
   * The largest message value sent whole (the broker's `message.max.bytes`,
   * 1 MiB by default, less room for headers); a larger one goes as a claim
   * check (cloud-events.ts). Sends are also split so no request carries more.
   */
  readonly maxMessageBytes?: number;
  readonly logger: Logger;
}

/**
 * Publishes changes to Kafka: every change to the change topic and the CI's
 * new full state to the compacted state topic, both keyed by CI id.
 *
 * The producer is idempotent with acks=-1 (all in-sync replicas) and one
 * request in flight, so its own retries neither duplicate nor reorder
 * messages within a partition; `publish` resolves only after the brokers
 * acknowledged the whole batch. A send that fails replaces the producer, so
 * an error that leaves it unusable (a lost producer id, an out-of-order
 * sequence) cannot stall the relay; the relay re-sends the page. Connection and topic creation happen on first use, so an
 * unreachable broker makes the relay retry with backoff instead of crashing
 * the service.
 */
export class KafkaPublisher implements Publisher {
  readonly name = 'kafka';
  private readonly kafka: Kafka;
  private readonly topics: { changes: string; state: string };
  private producer: Producer | undefined;
  private ready: Promise<Producer> | undefined;

  constructor(private readonly options: KafkaPublisherOptions) {
    this.topics = topicNames(options.topicPrefix);
    const log = options.logger.child({ component: 'kafka' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: [...options.brokers],
      connectionTimeout: 5000,
      retry: { initialRetryTime: 300, retries: 5 },
      logLevel: logLevel.WARN,
      // kafkajs logs every failed connection attempt as an error; the relay runner already
      // reports an outage once (and its end), so the client's own errors go to debug.
      logCreator: () => (entry: LogEntry) => {
        const { message, ...extra } = entry.log;
        const fields = { namespace: entry.namespace, ...extra };
        // kafkajs warns at every start that limiting an idempotent producer's retries "may invalidate EoS
        // guarantees". Deliberate: the relay is the retry loop (at-least-once, de-duplicated on ce_id), and a
        // send that never gave up would hold the relay, and a clean stop, for ever.
        const quiet = entry.level <= logLevel.ERROR || message.startsWith('Limiting retries for the idempotent');
        if (quiet) log.debug(fields, message);
        else log.warn(fields, message);
      },
    });
  }

  async publish(items: readonly RelayItem[]): Promise<void> {
    if (items.length === 0) return;
    const limit = this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const records = items.map((item) => ({
      change: withinLimit(changeRecord(item.change), limit, () => changeClaimCheck(item.change)),
      state: withinLimit(stateRecord(item.state), limit, () => stateClaimCheck(item.state)),
    }));
    for (const { change } of records) {
      if (change.headers['ce_dataref']) {
        this.options.logger.warn(
          { ciId: change.key, eventId: change.headers['ce_id'], limit },
          'a change too large for Kafka was sent as a claim check (ce_dataref names where to read it whole)',
        );
      }
    }
    const producer = await this.connect();
    try {
      // Chunks within the broker's limit per request: kafkajs sends one record batch per partition.
      for (const chunk of byteBoundedChunks(records, limit)) {
        await producer.sendBatch({
          acks: -1,
          topicMessages: [
            { topic: this.topics.changes, messages: chunk.map((r) => r.change) },
            { topic: this.topics.state, messages: chunk.map((r) => r.state) },
          ],
        });
      }
    } catch (error) {
      // A failed send may leave the idempotent producer unusable for good (OUT_OF_ORDER_SEQUENCE_NUMBER,
      // UNKNOWN_PRODUCER_ID, INVALID_PRODUCER_EPOCH): the relay's retry gets a fresh producer (a new
      // producer id and sequence), and re-sends the page; consumers de-duplicate on ce_id.
      await this.close().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const pending = this.ready;
    const producer = this.producer;
    this.producer = undefined;
    this.ready = undefined;
    // A close while connecting: disconnect the producer that connection makes, not none.
    const connecting = producer ? undefined : await pending?.catch(() => undefined);
    await (producer ?? connecting)?.disconnect();
  }

  private connect(): Promise<Producer> {
    this.ready ??= this.connectOnce().catch((error: unknown) => {
      this.ready = undefined; // the next publish tries again
      throw new Error(
        `Kafka brokers ${this.options.brokers.join(',')} are not reachable or refused the topics: ${(error as Error).message}`,
        { cause: error },
      );
    });
    return this.ready;
  }

  private async connectOnce(): Promise<Producer> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      await this.ensureTopics(admin);
    } finally {
      await admin.disconnect();
    }
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Said explicitly (kafkajs warns when it is left to its default): murmur2, as the Java client.
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    this.producer = producer;
    this.options.logger.info({ brokers: this.options.brokers, topics: this.topics }, 'connected to Kafka');
    return producer;
  }

  /** Creates missing topics: the state topic compacted, so it keeps the latest state of every CI. */
  private async ensureTopics(admin: Admin): Promise<void> {
    const existing = new Set(await admin.listTopics());
    // The broker stamps records (LogAppendTime): a back-fill of old changes is not expired on arrival.
    const appendTime = { name: 'message.timestamp.type', value: 'LogAppendTime' };
    const retention = { name: 'retention.ms', value: String(this.options.changesRetentionMs ?? -1) };
    const missing = [
      {
        topic: this.topics.changes,
        configEntries: [{ name: 'cleanup.policy', value: 'delete' }, appendTime, retention],
      },
      { topic: this.topics.state, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, appendTime] },
    ].filter((topic) => !existing.has(topic.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        ...topic,
        numPartitions: this.options.partitions,
        replicationFactor: this.options.replicationFactor,
      })),
    });
  }
}
