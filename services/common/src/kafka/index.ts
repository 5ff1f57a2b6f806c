/**
 * The one Kafka seam. Settings are read from the environment once
 * (settings.ts) and mapped for each client here: kafkajs (consumer,
 * dashboard, admin: ./kafkajs.ts) and @platformatic/kafka (the producer's hot
 * path: ./platformatic.ts). Why two clients: docs/decisions/0001-two-kafka-clients.md.
 */
export * from './settings.js';
export * from './kafkajs.js';
export * from './platformatic.js';
