import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The conformance driver for Kafka: the real Java client (kafka-clients) runs a probe read as
 * JSON on stdin and prints what it observed as JSON on stdout, so partitioners, assignors and
 * retries are the real ones. Broker faults are the harness's (it holds the broker pids): the
 * driver prints {"fault": ...} and waits for a line on stdin before going on.
 *
 * Modes: `ready BOOTSTRAP N` (exit 0 when N brokers are registered), `probe BOOTSTRAP` (one
 * probe), `member BOOTSTRAP JSON` (one group member in its own process, so the harness can kill
 * it with kill -9: it prints its assignments and never leaves).
 */
public class Driver {
  static final ObjectMapper JSON = new ObjectMapper();
  static final PrintStream OUT = System.out;
  static String bootstrap;
  static final long T0 = System.nanoTime();

  static long now() { return (System.nanoTime() - T0) / 1_000_000; }

  public static void main(String[] args) throws Exception {
    System.setOut(new PrintStream(System.err)); // library chatter away from the protocol
    bootstrap = args[1];
    switch (args[0]) {
      case "ready" -> System.exit(ready(Integer.parseInt(args[2])) ? 0 : 1);
      case "version" -> {
        if (!ready(1)) System.exit(1);
        OUT.println(org.apache.kafka.common.utils.AppInfoParser.getVersion());
        System.exit(0);
      }
      case "member" -> member(JSON.readTree(args[2]));
      case "probe" -> {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        JsonNode probe = JSON.readTree(in.readLine());
        ObjectNode observed = new Driver(in).run(probe);
        emit(JSON.createObjectNode().set("observed", observed));
        System.exit(0);
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  static synchronized void emit(JsonNode line) {
    OUT.println(line.toString());
    OUT.flush();
  }

  static boolean ready(int brokers) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000);
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000);
    try (Admin admin = Admin.create(p)) {
      return admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size() >= brokers;
    } catch (Exception e) {
      return false;
    }
  }

  static String errorName(Throwable e) {
    while ((e instanceof ExecutionException || e instanceof CompletionException) && e.getCause() != null) e = e.getCause();
    // The protocol's error name (NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT...), as the model names them.
    return org.apache.kafka.common.protocol.Errors.forException(e).name();
  }

  /**
   * The protocol error a transactional call failed with: the client wraps the broker's error
   * (a KafkaException "Cannot execute transactional method because we are in an error state"
   * around ProducerFencedException, for one), so the first cause that names a protocol error.
   */
  static String causeName(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String name = org.apache.kafka.common.protocol.Errors.forException(t).name();
      if (!name.equals("UNKNOWN_SERVER_ERROR")) return name;
      if (t.getCause() == t) break;
    }
    return e.getClass().getSimpleName();
  }

  static void putAll(Properties p, JsonNode config) {
    if (config == null) return;
    config.fields().forEachRemaining((f) -> p.put(f.getKey(), f.getValue().asText()));
  }

  // ---------------------------------------------------------------- one probe

  final BufferedReader in;
  final ObjectNode observed = JSON.createObjectNode();
  final Admin admin;
  final Map<String, Member> members = new LinkedHashMap<>();
  final List<Future<?>> pendingSends = new ArrayList<>();
  final Map<String, KafkaProducer<String, String>> producers = new LinkedHashMap<>();
  final TxnAndMetadataSteps steps = new TxnAndMetadataSteps(this);
  /** When the last fault or member kill happened (for timing outcomes). */
  long markAt = 0;

  Driver(BufferedReader in) {
    this.in = in;
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    admin = Admin.create(p);
  }

  ObjectNode run(JsonNode probe) throws Exception {
    for (JsonNode topic : probe.path("topics")) createTopic(topic);
    for (JsonNode step : probe.path("steps")) step(step);
    for (Member m : members.values()) m.stop(false);
    for (KafkaProducer<String, String> p : producers.values()) p.close(Duration.ofSeconds(5));
    admin.close(Duration.ofSeconds(5));
    return observed;
  }

  void createTopic(JsonNode t) throws Exception {
    String name = t.get("name").asText();
    NewTopic topic;
    if (t.has("replicas")) {
      Map<Integer, List<Integer>> assignment = new HashMap<>();
      int p = 0;
      for (JsonNode replicas : t.get("replicas")) {
        List<Integer> ids = new ArrayList<>();
        for (JsonNode id : replicas) ids.add(id.asInt());
        assignment.put(p++, ids);
      }
      topic = new NewTopic(name, assignment);
    } else {
      topic = new NewTopic(name, Optional.of(t.path("partitions").asInt(1)), Optional.of((short) t.path("replicationFactor").asInt(1)));
    }
    Map<String, String> configs = new HashMap<>();
    t.path("config").fields().forEachRemaining((f) -> configs.put(f.getKey(), f.getValue().asText()));
    topic.configs(configs);
    admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
    // Wait until every partition has a leader in the metadata the clients will see.
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      try {
        var d = admin.describeTopics(List.of(name)).allTopicNames().get().get(name);
        if (d.partitions().stream().allMatch((p) -> p.leader() != null && p.isr().size() == p.replicas().size())) return;
      } catch (ExecutionException e) {
        // not in the metadata yet (UNKNOWN_TOPIC_OR_PARTITION): ask again
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("topic " + name + " has no leaders");
  }

  void step(JsonNode s) throws Exception {
    String op = s.get("op").asText();
    switch (op) {
      case "wait" -> Thread.sleep(s.get("ms").asLong());
      case "fault" -> {
        emit(s);
        String reply = in.readLine();
        if (reply == null || !reply.startsWith("ok")) throw new IllegalStateException("fault refused: " + reply);
        markAt = now();
      }
      case "open" -> producer(s).partitionsFor(s.get("topic").asText());
      case "produce" -> produce(s);
      case "flush" -> flush();
      case "keys" -> keys(s);
      case "read" -> read(s);
      case "txn" -> steps.txn(s);
      case "txn-end" -> steps.txnEnd(s);
      case "offsets" -> steps.offsets(s);
      case "leaders" -> observed.with("leaders").put(s.get("label").asText(), steps.leaders(s.get("topic").asText()));
      case "await-leader" -> steps.awaitLeader(s);
      case "join" -> {
        Member m = s.path("process").asBoolean(false) ? new ChildMember(s) : new ThreadMember(s);
        members.put(s.get("member").asText(), m);
        m.start();
      }
      case "close" -> {
        members.get(s.get("member").asText()).stop(false);
        markAt = now();
      }
      case "kill-member" -> {
        members.get(s.get("member").asText()).stop(true);
        markAt = now();
      }
      case "await-stable" -> awaitStable(s);
      case "received" -> {
        ObjectNode r = observed.with("received");
        Member m = members.get(s.get("member").asText());
        r.set(s.get("label").asText(), m.receivedSnapshot());
      }
      default -> throw new IllegalArgumentException("unknown step " + op);
    }
  }

  KafkaProducer<String, String> producer(JsonNode s) {
    String name = s.get("producer").asText();
    return producers.computeIfAbsent(name, (n) -> {
      Properties p = new Properties();
      p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
      p.put(ProducerConfig.CLIENT_ID_CONFIG, n);
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      putAll(p, s.get("config"));
      return new KafkaProducer<>(p);
    });
  }

  /** `count` records, ids <producer>-<seq> (seq from `from`), values = ids; results come back through callbacks. */
  void produce(JsonNode s) {
    KafkaProducer<String, String> producer = producer(s);
    String name = s.get("producer").asText();
    String topic = s.get("topic").asText();
    int from = s.path("from").asInt(0);
    ObjectNode sends = observed.with("sends");
    for (int i = 0; i < s.get("count").asInt(); i++) {
      String id = name + "-" + (from + i);
      ProducerRecord<String, String> record = s.has("partition")
          ? new ProducerRecord<>(topic, s.get("partition").asInt(), id, id)
          : new ProducerRecord<>(topic, id, id);
      pendingSends.add(producer.send(record, (md, e) -> {
        synchronized (sends) {
          if (e == null) sends.put(id, "ok " + md.partition() + "@" + md.offset());
          else sends.put(id, "error " + errorName(e));
        }
      }));
    }
  }

  void flush() {
    for (Future<?> f : pendingSends) {
      try {
        f.get();
      } catch (Exception ignored) {
        // the callback recorded it
      }
    }
    pendingSends.clear();
  }

  /** The default partitioner for keys: the partition the real producer picks for each key. */
  void keys(JsonNode s) throws Exception {
    KafkaProducer<String, String> producer = producer(s);
    String topic = s.get("topic").asText();
    List<Future<RecordMetadata>> results = new ArrayList<>();
    for (JsonNode key : s.get("keys")) results.add(producer.send(new ProducerRecord<>(topic, key.asText(), "")));
    producer.flush();
    StringBuilder partitions = new StringBuilder();
    for (Future<RecordMetadata> r : results) {
      if (partitions.length() > 0) partitions.append(',');
      partitions.append(r.get().partition());
    }
    observed.with("partitions").put(s.get("label").asText(), partitions.toString());
  }

  /**
   * Everything in the topic's partitions from the start to the end offsets: ids with offsets, per
   * partition; "error <name>" when the end offsets cannot be had (no leader), and "timeout" when
   * the records up to them did not all come within 30 s (the consumer is woken up to stop waiting).
   */
  void read(JsonNode s) throws Exception {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, s.path("isolation").asText("read_uncommitted"));
    String topic = s.get("topic").asText();
    String label = s.get("label").asText();
    ObjectNode result = JSON.createObjectNode();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      ScheduledFuture<?> wake = timer.schedule(consumer::wakeup, 30, TimeUnit.SECONDS);
      List<TopicPartition> tps = new ArrayList<>();
      for (var info : consumer.partitionsFor(topic, Duration.ofSeconds(10))) tps.add(new TopicPartition(topic, info.partition()));
      tps.sort(Comparator.comparingInt(TopicPartition::partition));
      consumer.assign(tps);
      Map<TopicPartition, Long> end;
      try {
        end = consumer.endOffsets(tps, Duration.ofSeconds(15));
      } catch (org.apache.kafka.common.errors.WakeupException e) {
        observed.with("reads").put(label, "timeout");
        return;
      } catch (Exception e) {
        observed.with("reads").put(label, "error " + errorName(e));
        return;
      }
      consumer.seekToBeginning(tps);
      Map<TopicPartition, ArrayNode> got = new HashMap<>();
      for (TopicPartition tp : tps) got.put(tp, JSON.createArrayNode());
      try {
        // Until the position passes the end offset: under read_committed a transaction's control
        // record or aborted records are skipped, so no record need sit at end - 1.
        while (tps.stream().anyMatch((tp) -> consumer.position(tp) < end.get(tp))) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (r.offset() >= end.get(tp)) continue;
            got.get(tp).add(r.value() + "@" + r.offset());
          }
        }
      } catch (org.apache.kafka.common.errors.WakeupException e) {
        observed.with("reads").put(label, "timeout");
        return;
      }
      wake.cancel(false);
      if (s.path("ids").asBoolean(false)) {
        List<String> ids = new ArrayList<>();
        for (TopicPartition tp : tps) for (JsonNode r : got.get(tp)) ids.add(r.asText().substring(0, r.asText().lastIndexOf('@')));
        Collections.sort(ids);
        ArrayNode all = result.putArray("all");
        ids.forEach(all::add);
      } else {
        for (TopicPartition tp : tps) result.set(String.valueOf(tp.partition()), got.get(tp));
      }
    } finally {
      timer.shutdownNow();
    }
    observed.with("reads").set(label, result);
  }

  /** Until every live member's last assignment covers the topics' partitions once, in one generation; records them. */
  void awaitStable(JsonNode s) throws Exception {
    int partitions = s.get("partitions").asInt();
    long deadline = System.currentTimeMillis() + s.path("timeoutMs").asLong(60_000);
    String label = s.get("label").asText();
    while (true) {
      List<Member> live = members.values().stream().filter((m) -> m.alive).toList();
      Set<Integer> gens = new HashSet<>();
      int owned = 0;
      Set<String> seen = new HashSet<>();
      boolean ok = true;
      for (Member m : live) {
        Assigned a = m.last;
        if (a == null) { ok = false; break; }
        gens.add(a.generation);
        for (String tp : a.partitions) if (!seen.add(tp)) ok = false;
        owned += a.partitions.size();
      }
      if (ok && owned == partitions && gens.size() == 1) {
        ObjectNode r = JSON.createObjectNode();
        for (Member m : live) {
          ArrayNode list = r.putArray(m.name);
          m.last.partitions.stream().sorted(Driver::byTopicPartition).forEach(list::add);
        }
        r.put("@generation", gens.iterator().next());
        if (s.has("timed")) r.put("@ms", now() - markAt);
        observed.with("assignments").set(label, r);
        return;
      }
      if (System.currentTimeMillis() > deadline) {
        observed.with("assignments").put(label, "timeout");
        return;
      }
      Thread.sleep(20);
    }
  }

  static int byTopicPartition(String a, String b) {
    int da = a.lastIndexOf('-'), db = b.lastIndexOf('-');
    int c = a.substring(0, da).compareTo(b.substring(0, db));
    return c != 0 ? c : Integer.compare(Integer.parseInt(a.substring(da + 1)), Integer.parseInt(b.substring(db + 1)));
  }

  record Assigned(int generation, List<String> partitions) {}

  abstract static class Member {
    final String name;
    volatile boolean alive = true;
    volatile Assigned last;
    final List<String> received = Collections.synchronizedList(new ArrayList<>());
    Member(String name) { this.name = name; }
    abstract void start() throws Exception;
    abstract void stop(boolean kill) throws Exception;
    ArrayNode receivedSnapshot() {
      ArrayNode a = JSON.createArrayNode();
      synchronized (received) { received.forEach(a::add); }
      return a;
    }
  }

  static Properties memberProps(JsonNode s) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, s.get("group").asText());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, s.get("member").asText());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    putAll(p, s.get("config"));
    return p;
  }

  static List<String> topicsOf(JsonNode s) {
    List<String> topics = new ArrayList<>();
    for (JsonNode t : s.get("topics")) topics.add(t.asText());
    return topics;
  }

  /**
   * One member's poll loop: poll, record what it received and its assignment (with the group
   * generation) after each rebalance callback; commitSync after each poll when `commit` is set.
   */
  static void pollLoop(KafkaConsumer<String, String> consumer, JsonNode s, java.util.function.BooleanSupplier running,
                       java.util.function.Consumer<Assigned> onAssigned, java.util.function.Consumer<String> onRecord) {
    Set<String> owned = new TreeSet<>();
    boolean[] changed = {false};
    consumer.subscribe(topicsOf(s), new ConsumerRebalanceListener() {
      public void onPartitionsRevoked(Collection<TopicPartition> ps) { for (TopicPartition tp : ps) owned.remove(tp.toString()); changed[0] = true; }
      public void onPartitionsAssigned(Collection<TopicPartition> ps) { for (TopicPartition tp : ps) owned.add(tp.toString()); changed[0] = true; }
      public void onPartitionsLost(Collection<TopicPartition> ps) { for (TopicPartition tp : ps) owned.remove(tp.toString()); changed[0] = true; }
    });
    boolean commit = s.path("commit").asBoolean(false);
    while (running.getAsBoolean()) {
      ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(50));
      for (ConsumerRecord<String, String> r : records) onRecord.accept(r.value() + "@" + r.partition() + ":" + r.offset());
      if (commit && !records.isEmpty()) consumer.commitSync();
      if (changed[0]) {
        changed[0] = false;
        onAssigned.accept(new Assigned(consumer.groupMetadata().generationId(), new ArrayList<>(owned)));
      }
    }
  }

  static class ThreadMember extends Member {
    final JsonNode spec;
    volatile boolean running = true;
    Thread thread;
    ThreadMember(JsonNode spec) { super(spec.get("member").asText()); this.spec = spec; }
    void start() {
      thread = new Thread(() -> {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(memberProps(spec))) {
          pollLoop(consumer, spec, () -> running, (a) -> last = a, received::add);
        }
      });
      thread.start();
    }
    void stop(boolean kill) throws Exception {
      if (!alive) return;
      running = false;
      thread.join();
      alive = false;
    }
  }

  /** A member in its own JVM (mode `member`): kill-member is a kill -9 of that process, so it never leaves the group. */
  static class ChildMember extends Member {
    final JsonNode spec;
    Process process;
    ChildMember(JsonNode spec) { super(spec.get("member").asText()); this.spec = spec; }
    void start() throws Exception {
      String java = ProcessHandle.current().info().command().orElse("java");
      process = new ProcessBuilder(java, "-Xmx96m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), "Driver", "member", bootstrap, spec.toString())
          .redirectError(ProcessBuilder.Redirect.DISCARD).start();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream()))) {
          String line;
          while ((line = r.readLine()) != null) {
            JsonNode n = JSON.readTree(line);
            if (n.has("record")) received.add(n.get("record").asText());
            else {
              List<String> ps = new ArrayList<>();
              for (JsonNode tp : n.get("partitions")) ps.add(tp.asText());
              last = new Assigned(n.get("generation").asInt(), ps);
            }
          }
        } catch (Exception ignored) {
          // the process was killed
        }
      });
      reader.setDaemon(true);
      reader.start();
    }
    void stop(boolean kill) throws Exception {
      if (!alive) return;
      alive = false;
      if (kill) process.destroyForcibly(); // SIGKILL
      else {
        process.getOutputStream().write("close\n".getBytes());
        process.getOutputStream().flush();
      }
      process.waitFor();
    }
  }

  static void member(JsonNode s) {
    boolean[] running = {true};
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(memberProps(s));
    // The driver holds our stdin: a "close" line is consumer.close() (the poll loop ends and the
    // consumer closes, leaving the group if dynamic); the end of stdin (the driver ended or was
    // killed) ends this process at once.
    Thread watchdog = new Thread(() -> {
      try {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
          if (line.equals("close")) running[0] = false;
        }
      } catch (Exception ignored) {
        // closed
      }
      Runtime.getRuntime().halt(0);
    });
    watchdog.setDaemon(true);
    watchdog.start();
    try (consumer) {
      pollLoop(consumer, s, () -> running[0], (a) -> {
        ObjectNode n = JSON.createObjectNode();
        n.put("generation", a.generation());
        ArrayNode list = n.putArray("partitions");
        a.partitions().forEach(list::add);
        emit(n);
      }, (r) -> emit(JSON.createObjectNode().put("record", r)));
    }
    System.exit(0);
  }
}
