import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The driver's transaction and metadata steps (conformance/kafka/probe.ts): `txn` and `txn-end`
 * on transactional producers (initTransactions, beginTransaction, sends, commit / abort or the
 * transaction left open), `offsets` (endOffsets under an isolation level), `leaders` and
 * `await-leader` (each partition's leader as the metadata says). What they see goes into the
 * driver's observed outcome.
 */
class TxnAndMetadataSteps {
  final Driver d;

  TxnAndMetadataSteps(Driver d) {
    this.d = d;
  }


  /** Each transactional producer's sends so far (ids go on across its transactions). */
  final Map<String, Integer> sent = new HashMap<>();

  /** `count` records of the producer's open transaction (ids <producer>-<seq>); flush; the first send error or null. */
  String sendInTxn(KafkaProducer<String, String> producer, JsonNode s, int count) {
    String name = s.get("producer").asText();
    String topic = s.get("topic").asText();
    int partitions = s.path("spread").asBoolean(false) ? producer.partitionsFor(topic).size() : 0;
    List<Future<RecordMetadata>> results = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int seq = sent.merge(name, 1, Integer::sum) - 1;
      String id = name + "-" + seq;
      ProducerRecord<String, String> record = partitions > 0
          ? new ProducerRecord<>(topic, i % partitions, id, id)
          : new ProducerRecord<>(topic, id, id);
      try {
        results.add(producer.send(record));
      } catch (Exception e) {
        return Driver.causeName(e);
      }
    }
    try {
      producer.flush();
    } catch (Exception e) {
      return Driver.causeName(e);
    }
    for (Future<RecordMetadata> r : results) {
      try {
        r.get();
      } catch (Exception e) {
        return Driver.causeName(e);
      }
    }
    return null;
  }

  /** commitTransaction() or abortTransaction(): "committed" / "aborted", or "<call> <error>". */
  static String endTxn(KafkaProducer<String, String> producer, String end) {
    try {
      if (end.equals("commit")) producer.commitTransaction();
      else producer.abortTransaction();
      return end.equals("commit") ? "committed" : "aborted";
    } catch (Exception e) {
      return end + " " + Driver.causeName(e);
    }
  }

  /**
   * A transaction of a transactional producer (config transactional.id): initTransactions() on
   * its first, beginTransaction(), `count` records, flush, then commit, abort or leave it open.
   * Notes `txns.<label>`: committed / aborted / open, or the call that failed and its error.
   */
  void txn(JsonNode s) {
    String name = s.get("producer").asText();
    String label = s.get("label").asText();
    boolean fresh = !d.producers.containsKey(name);
    KafkaProducer<String, String> producer = d.producer(s);
    String result;
    try {
      if (fresh) producer.initTransactions();
    } catch (Exception e) {
      d.observed.with("txns").put(label, "init " + Driver.causeName(e));
      return;
    }
    try {
      producer.beginTransaction();
    } catch (Exception e) {
      d.observed.with("txns").put(label, "begin " + Driver.causeName(e));
      return;
    }
    String error = sendInTxn(producer, s, s.get("count").asInt());
    String end = s.get("end").asText();
    if (error != null) result = "send " + error + (end.equals("open") ? "" : "; " + endTxn(producer, end));
    else result = end.equals("open") ? "open" : endTxn(producer, end);
    d.observed.with("txns").put(label, result);
  }

  /** The producer's open transaction: `count` more records (default none), then commit or abort it. */
  void txnEnd(JsonNode s) {
    KafkaProducer<String, String> producer = d.producers.get(s.get("producer").asText());
    String error = s.path("count").asInt(0) > 0 ? sendInTxn(producer, s, s.get("count").asInt()) : null;
    String end = endTxn(producer, s.get("end").asText());
    d.observed.with("txns").put(s.get("label").asText(), error != null ? "send " + error + "; " + end : end);
  }

  /** Each partition's leader as the metadata says: "<partition>:<broker id or none>,...". */
  String leaders(String topic) throws Exception {
    var described = d.admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
    StringBuilder text = new StringBuilder();
    described.partitions().stream().sorted(Comparator.comparingInt((p) -> p.partition())).forEach((p) ->
        text.append(text.length() > 0 ? "," : "").append(p.partition()).append(':').append(p.leader() == null || p.leader().isEmpty() ? "none" : String.valueOf(p.leader().id())));
    return text.toString();
  }

  /** Until the partition's leader is a live broker other than `from`: which one, and the ms since the last fault. */
  void awaitLeader(JsonNode s) throws Exception {
    String topic = s.get("topic").asText();
    int partition = s.get("partition").asInt();
    int from = s.get("from").asInt();
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      try {
        var described = d.admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS).get(topic);
        var leader = described.partitions().get(partition).leader();
        if (leader != null && !leader.isEmpty() && leader.id() != from) {
          d.observed.with("leaders").set(s.get("label").asText(), Driver.JSON.createObjectNode().put("leader", String.valueOf(leader.id())).put("ms", Driver.now() - d.markAt));
          return;
        }
      } catch (ExecutionException | TimeoutException e) {
        // the broker asked was the one that died: ask again
      }
      Thread.sleep(50);
    }
    d.observed.with("leaders").put(s.get("label").asText(), "timeout");
  }

  /** endOffsets under an isolation level (read_committed: the last stable offset), per partition "p:offset". */
  void offsets(JsonNode s) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Driver.bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, s.path("isolation").asText("read_uncommitted"));
    String topic = s.get("topic").asText();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> tps = new ArrayList<>();
      for (var info : consumer.partitionsFor(topic, Duration.ofSeconds(10))) tps.add(new TopicPartition(topic, info.partition()));
      tps.sort(Comparator.comparingInt(TopicPartition::partition));
      Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(15));
      StringBuilder text = new StringBuilder();
      for (TopicPartition tp : tps) text.append(text.length() > 0 ? "," : "").append(tp.partition()).append(':').append(end.get(tp));
      d.observed.with("offsets").put(s.get("label").asText(), text.toString());
    }
  }
}
