// What every service shares (config, logging, metrics, health, shutdown, Kafka and Avro codecs) lands here with the services that need it.
export {};
