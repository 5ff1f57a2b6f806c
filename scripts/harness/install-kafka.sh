#!/usr/bin/env bash
# Apache Kafka KAFKA_VERSION (broker + tools) as jars from Maven Central,
# resolved by Maven into one runnable classpath directory.
source "$(dirname "$0")/lib.sh"
dest="$TICKERFLOW_CACHE/kafka/$KAFKA_VERSION"
if done_marker "$dest"; then echo "$dest/lib"; exit 0; fi
log "fetching Kafka $KAFKA_VERSION jars"
rm -rf "$dest/lib"
mkdir -p "$dest/lib"
cat > "$dest/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tickerflow.harness</groupId>
  <artifactId>kafka-classpath</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <!-- Kafka's tree pulls the slf4j 1.7 API; the log4j2 binding needs 2.x. -->
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
POM
mvn -q -B -f "$dest/pom.xml" -Dmaven.repo.local="$TICKERFLOW_CACHE/m2" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dest/lib"
mark_done "$dest"
echo "$dest/lib"
