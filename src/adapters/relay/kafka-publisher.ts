import { Kafka, Partitioners, logLevel, type Admin, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Publisher, RelayItem } from '../../ports/publisher';
import { changeRecord, stateRecord, topicNames } from './cloud-events';

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
  readonly logger: Logger;
}

/**
 * Publishes changes to Kafka: every change to the change topic and the CI's
 * new full state to the compacted state topic, both keyed by CI id.
 *
 * The producer is idempotent with acks=-1 (all in-sync replicas) and one
 * request in flight, so retries neither duplicate nor reorder messages within
 * a partition; `publish` resolves only after the brokers acknowledged the
 * whole batch. Connection and topic creation happen on first use, so an
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
        if (entry.level <= logLevel.ERROR) log.debug(fields, message);
        else log.warn(fields, message);
      },
    });
  }

  async publish(items: readonly RelayItem[]): Promise<void> {
    if (items.length === 0) return;
    const producer = await this.connect();
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: this.topics.changes, messages: items.map((item) => changeRecord(item.change)) },
        { topic: this.topics.state, messages: items.map((item) => stateRecord(item.state)) },
      ],
    });
  }

  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.ready = undefined;
    await producer?.disconnect();
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
