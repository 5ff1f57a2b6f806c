#!/usr/bin/env bash
# Apache Kafka KAFKA_VERSION (broker + tools) as jars from Maven Central,
# resolved by Maven into one runnable classpath directory.
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/kafka/$KAFKA_VERSION"
if done_marker "$dest"; then echo "$dest/lib"; exit 0; fi
log "fetching Kafka $KAFKA_VERSION jars"
# Kafka's tree pulls the slf4j 1.7 API; the log4j2 binding needs 2.x.
maven_classpath "$dest" \
  "org.apache.kafka:kafka_2.13:$KAFKA_VERSION" \
  "org.apache.kafka:kafka-tools:$KAFKA_VERSION" \
  "org.slf4j:slf4j-api:2.0.17" \
  "org.apache.logging.log4j:log4j-core:2.24.3" \
  "org.apache.logging.log4j:log4j-slf4j2-impl:2.24.3"
mark_done "$dest"
echo "$dest/lib"
