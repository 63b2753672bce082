import { brokerUnavailable, startBroker, type RunningBroker } from '../support/kafka-broker';

/**
 * Before the integration suites: a real Kafka broker for the relay suite,
 * unless KAFKA_BROKERS already names one. In CI (CI=true) it must start:
 * the Kafka suite is never skipped there.
 */
export default async function startKafkaForIntegrationSuites(): Promise<void> {
  if (process.env['KAFKA_BROKERS']) return;
  const missing = brokerUnavailable();
  if (missing) {
    if (process.env['CI']) throw new Error(`the Kafka suite must run in CI, but ${missing}`);
    process.stderr.write(`Kafka broker not started: ${missing}\n`);
    return;
  }
  const broker = await startBroker();
  process.env['KAFKA_BROKERS'] = broker.bootstrap;
  (globalThis as { kafkaBroker?: RunningBroker }).kafkaBroker = broker;
  process.stderr.write(`Kafka broker for the integration suites on ${broker.bootstrap}\n`);
}
