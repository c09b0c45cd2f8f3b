package mqsim;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.alibaba.fastjson2.JSON;
import com.alibaba.fastjson2.JSONArray;
import com.alibaba.fastjson2.JSONObject;

import org.apache.rocketmq.client.consumer.AllocateMessageQueueStrategy;
import org.apache.rocketmq.client.consumer.DefaultMQPullConsumer;
import org.apache.rocketmq.client.consumer.DefaultMQPushConsumer;
import org.apache.rocketmq.client.consumer.PullResult;
import org.apache.rocketmq.client.consumer.listener.ConsumeConcurrentlyStatus;
import org.apache.rocketmq.client.consumer.listener.MessageListenerConcurrently;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragely;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueAveragelyByCircle;
import org.apache.rocketmq.client.consumer.rebalance.AllocateMessageQueueConsistentHash;
import org.apache.rocketmq.client.exception.MQBrokerException;
import org.apache.rocketmq.client.exception.MQClientException;
import org.apache.rocketmq.client.producer.DefaultMQProducer;
import org.apache.rocketmq.client.producer.LocalTransactionState;
import org.apache.rocketmq.client.producer.SendResult;
import org.apache.rocketmq.client.producer.TransactionListener;
import org.apache.rocketmq.client.producer.TransactionMQProducer;
import org.apache.rocketmq.client.producer.TransactionSendResult;
import org.apache.rocketmq.client.producer.selector.SelectMessageQueueByHash;
import org.apache.rocketmq.common.consumer.ConsumeFromWhere;
import org.apache.rocketmq.common.message.Message;
import org.apache.rocketmq.common.message.MessageExt;
import org.apache.rocketmq.common.message.MessageQueue;
import org.apache.rocketmq.common.TopicConfig;
import org.apache.rocketmq.remoting.protocol.ResponseCode;
import org.apache.rocketmq.tools.admin.DefaultMQAdminExt;
import org.apache.rocketmq.remoting.protocol.heartbeat.MessageModel;
import org.apache.rocketmq.remoting.protocol.route.BrokerData;
import org.apache.rocketmq.remoting.protocol.route.TopicRouteData;

/**
 * mqsim's RocketMQ probe driver: reads one probe segment as JSON on stdin (the NameServer address
 * and a list of steps), runs it with the real Java client (DefaultMQProducer,
 * TransactionMQProducer, DefaultMQPushConsumer with the real allocation strategies,
 * DefaultMQPullConsumer) and prints what it observed as one JSON object on stdout: sends with
 * their results, deliveries with the consumer, queue and reconsume times, queue assignments,
 * route look-ups, transaction check-backs and errors by their real names. Times are milliseconds
 * since the driver started. It decides nothing: the Node side turns what it saw into an outcome.
 */
public final class Driver {
  private static final long T0 = System.nanoTime();
  private static final String ID = "mqsimId";
  /** The probe run a message belongs to: a probe run again on the same broker ignores what an earlier run left there. */
  private static final String RUN = "mqsimRun";
  private static String run = "";

  private static long now() {
    return (System.nanoTime() - T0) / 1_000_000;
  }

  private final String namesrv;
  private final List<Object> sends = Collections.synchronizedList(new ArrayList<>());
  private final List<Object> deliveries = Collections.synchronizedList(new ArrayList<>());
  private final List<Object> checks = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Object> assignments = new TreeMap<>();
  private final List<Object> routes = new ArrayList<>();
  private final Map<String, Object> dlq = new TreeMap<>();
  private final List<String> versions = new ArrayList<>();
  private final List<Object> clusters = new ArrayList<>();
  private final Map<String, DefaultMQPushConsumer> consumers = new LinkedHashMap<>();
  private final Map<String, String> consumerTopic = new LinkedHashMap<>();

  private Driver(String namesrv) {
    this.namesrv = namesrv;
  }

  public static void main(String[] args) throws Exception {
    InputStream in = System.in;
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    in.transferTo(buffer);
    JSONObject probe = JSON.parseObject(buffer.toString(StandardCharsets.UTF_8));
    Driver driver = new Driver(probe.getString("namesrv"));
    run = probe.getString("run") == null ? "" : probe.getString("run");
    JSONObject out = new JSONObject();
    try {
      for (Object step : probe.getJSONArray("steps")) driver.step((JSONObject) step);
    } catch (Exception e) {
      out.put("failure", e.toString());
    }
    // No shutdown: the process ends (halt) and the broker sees its connections close, as after
    // a client crash; probes that need a clean consumer shutdown say stopConsumers.
    out.put("sends", driver.sends);
    out.put("deliveries", driver.deliveries);
    out.put("checks", driver.checks);
    out.put("assignments", driver.assignments);
    out.put("routes", driver.routes);
    out.put("dlq", driver.dlq);
    out.put("versions", driver.versions);
    out.put("clusters", driver.clusters);
    System.out.println("MQSIM-RESULT " + out.toJSONString());
    System.out.flush();
    Runtime.getRuntime().halt(0);
  }

  private void step(JSONObject s) throws Exception {
    switch (s.getString("op")) {
      case "send" -> send(s);
      case "txsend" -> txsend(s);
      case "consume" -> consume(s);
      case "wait" -> Thread.sleep(s.getLongValue("ms"));
      case "assignments" -> assignments(s);
      case "stopConsumers" -> stopConsumers(s);
      case "route" -> route(s);
      case "dlq" -> readDlq(s);
      case "createTopic" -> createTopic(s);
      case "version" -> version();
      case "waitRegistered" -> waitRegistered();
      case "waitBroker" -> waitBroker(s.getString("brokerName"), s.getLongValue("brokerId"));
      case "waitAddr" -> waitAddr(s.getString("brokerName"), s.getString("addr"));
      case "cluster" -> cluster(s.getString("brokerName"), null);
      case "waitLeaderNot" -> cluster(s.getString("brokerName"), s.getString("addr"));
      default -> throw new IllegalArgumentException("unknown op " + s.getString("op"));
    }
  }

  private static String errorName(Throwable e) {
    if (e instanceof MQBrokerException b) return codeName(b.getResponseCode());
    if (e instanceof MQClientException c && c.getResponseCode() > 0) return codeName(c.getResponseCode());
    return e.getClass().getSimpleName();
  }

  private static String codeName(int code) {
    for (java.lang.reflect.Field f : ResponseCode.class.getFields()) {
      try {
        if (f.getType() == int.class && f.getInt(null) == code) return f.getName();
      } catch (IllegalAccessException ignored) {
        // public constants only
      }
    }
    for (java.lang.reflect.Field f : org.apache.rocketmq.client.common.ClientErrorCode.class.getFields()) {
      try {
        if (f.getType() == int.class && f.getInt(null) == code) return f.getName();
      } catch (IllegalAccessException ignored) {
        // public constants only
      }
    }
    for (java.lang.reflect.Field f : org.apache.rocketmq.remoting.protocol.RemotingSysResponseCode.class.getFields()) {
      try {
        if (f.getType() == int.class && f.getInt(null) == code) return f.getName();
      } catch (IllegalAccessException ignored) {
        // public constants only
      }
    }
    return "code " + code;
  }

  private DefaultMQProducer producer(JSONObject s) throws MQClientException {
    DefaultMQProducer p = new DefaultMQProducer(s.getString("group"));
    p.setNamesrvAddr(namesrv);
    p.setInstanceName(s.getString("id"));
    if (s.containsKey("sendMsgTimeout")) p.setSendMsgTimeout(s.getIntValue("sendMsgTimeout"));
    p.start();
    return p;
  }

  private static Message message(JSONObject s, String topic, String id, int i) {
    JSONArray tags = s.getJSONArray("tags");
    JSONArray keys = s.getJSONArray("keys");
    JSONArray levels = s.getJSONArray("delayLevels");
    Message m = new Message(topic, tags == null ? "" : tags.getString(i % tags.size()), ("body of " + id).getBytes(StandardCharsets.UTF_8));
    if (tags == null) m.setTags(null);
    if (keys != null) m.setKeys(keys.getString(i % keys.size()));
    if (levels != null) m.setDelayTimeLevel(levels.getIntValue(i % levels.size()));
    m.putUserProperty(ID, id);
    m.putUserProperty(RUN, run);
    return m;
  }

  private void send(JSONObject s) throws MQClientException {
    DefaultMQProducer p = producer(s);
    String topic = s.getString("topic");
    JSONArray ids = s.getJSONArray("ids");
    boolean byHash = s.getBooleanValue("selectByHash");
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.getString(i);
      Message m = message(s, topic, id, i);
      JSONObject r = new JSONObject();
      r.put("id", id);
      r.put("at", now());
      if (m.getKeys() != null) r.put("key", m.getKeys());
      try {
        SendResult result = byHash ? p.send(m, new SelectMessageQueueByHash(), m.getKeys()) : p.send(m);
        r.put("status", result.getSendStatus().name());
        r.put("broker", result.getMessageQueue().getBrokerName());
        r.put("queueId", result.getMessageQueue().getQueueId());
        r.put("queueOffset", result.getQueueOffset());
      } catch (Exception e) {
        r.put("error", errorName(e));
      }
      sends.add(r);
    }
  }

  private void txsend(JSONObject s) throws MQClientException {
    TransactionMQProducer p = new TransactionMQProducer(s.getString("group"));
    p.setNamesrvAddr(namesrv);
    p.setInstanceName(s.getString("id"));
    LocalTransactionState local = LocalTransactionState.valueOf(s.getString("local"));
    LocalTransactionState check = LocalTransactionState.valueOf(s.getString("check"));
    long localMs = s.getLongValue("localMs");
    p.setTransactionListener(new TransactionListener() {
      @Override
      public LocalTransactionState executeLocalTransaction(Message msg, Object arg) {
        try {
          Thread.sleep(localMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return local;
      }

      @Override
      public LocalTransactionState checkLocalTransaction(MessageExt msg) {
        if (!run.equals(msg.getUserProperty(RUN))) return LocalTransactionState.ROLLBACK_MESSAGE;
        JSONObject c = new JSONObject();
        c.put("id", msg.getUserProperty(ID));
        c.put("at", now());
        c.put("answer", check.name());
        checks.add(c);
        return check;
      }
    });
    p.start();
    String topic = s.getString("topic");
    JSONArray ids = s.getJSONArray("ids");
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.getString(i);
      JSONObject r = new JSONObject();
      r.put("id", id);
      r.put("at", now());
      try {
        TransactionSendResult result = p.sendMessageInTransaction(message(s, topic, id, i), null);
        r.put("status", result.getSendStatus().name());
        r.put("local", result.getLocalTransactionState().name());
        r.put("queueId", result.getMessageQueue().getQueueId());
      } catch (Exception e) {
        r.put("error", errorName(e));
      }
      sends.add(r);
    }
  }

  private static AllocateMessageQueueStrategy strategy(String name) {
    return switch (name) {
      case "averagely-by-circle" -> new AllocateMessageQueueAveragelyByCircle();
      case "consistent-hash" -> new AllocateMessageQueueConsistentHash();
      default -> new AllocateMessageQueueAveragely();
    };
  }

  private void consume(JSONObject s) throws MQClientException {
    String group = s.getString("group");
    String topic = s.getString("topic");
    JSONArray names = s.getJSONArray("names");
    boolean fail = s.getBooleanValue("fail");
    for (int i = 0; i < names.size(); i++) {
      String name = names.getString(i);
      DefaultMQPushConsumer c = new DefaultMQPushConsumer(group);
      c.setNamesrvAddr(namesrv);
      // clientId = clientIP@instanceName: the model's client id (node@start ms), so the strategies get the same inputs.
      c.setClientIP(name);
      c.setInstanceName(s.getString("instanceName"));
      c.subscribe(topic, s.getString("subscription"));
      c.setMessageModel(MessageModel.valueOf(s.getString("messageModel")));
      c.setAllocateMessageQueueStrategy(strategy(s.getString("strategy")));
      c.setConsumeFromWhere(ConsumeFromWhere.valueOf(s.getString("fromWhere")));
      if (s.containsKey("maxReconsumeTimes")) c.setMaxReconsumeTimes(s.getIntValue("maxReconsumeTimes"));
      if (s.containsKey("pollNameServerInterval")) c.setPollNameServerInterval(s.getIntValue("pollNameServerInterval"));
      c.registerMessageListener((MessageListenerConcurrently) (msgs, context) -> {
        for (MessageExt m : msgs) {
          if (!run.equals(m.getUserProperty(RUN))) continue;
          JSONObject d = new JSONObject();
          d.put("consumer", name);
          d.put("group", group);
          d.put("id", m.getUserProperty(ID));
          d.put("topic", m.getTopic());
          d.put("queueId", m.getQueueId());
          d.put("queueOffset", m.getQueueOffset());
          d.put("reconsumeTimes", m.getReconsumeTimes());
          d.put("at", now());
          deliveries.add(d);
        }
        return fail ? ConsumeConcurrentlyStatus.RECONSUME_LATER : ConsumeConcurrentlyStatus.CONSUME_SUCCESS;
      });
      c.start();
      consumers.put(name, c);
      consumerTopic.put(name, topic);
      }
  }

  private void assignments(JSONObject s) {
    String topic = s.getString("topic");
    for (Map.Entry<String, DefaultMQPushConsumer> e : consumers.entrySet()) {
      List<Integer> queues = new ArrayList<>();
      for (MessageQueue mq : e.getValue().getDefaultMQPushConsumerImpl().getRebalanceImpl().getProcessQueueTable().keySet()) {
        if (mq.getTopic().equals(topic)) queues.add(mq.getQueueId());
      }
      Collections.sort(queues);
      assignments.put(e.getKey(), queues);
    }
  }

  private void stopConsumers(JSONObject s) {
    for (DefaultMQPushConsumer c : consumers.values()) c.shutdown();
    consumers.clear();
  }

  private DefaultMQProducer routeClient;

  /** GET_ROUTEINFO_BY_TOPIC at the NameServer: the brokerNames of the topic's route, sorted. */
  private List<String> brokersOf(String topic) throws Exception {
    if (routeClient == null) {
      JSONObject c = new JSONObject();
      c.put("group", "mqsim_route_reader");
      c.put("id", "route-reader");
      routeClient = producer(c);
    }
    TopicRouteData route = routeClient.getDefaultMQProducerImpl().getMqClientFactory().getMQClientAPIImpl().getTopicRouteInfoFromNameServer(topic, 3000);
    List<String> brokers = new ArrayList<>();
    for (BrokerData bd : route.getBrokerDatas()) brokers.add(bd.getBrokerName());
    Collections.sort(brokers);
    return brokers;
  }

  private void route(JSONObject s) {
    JSONObject r = new JSONObject();
    r.put("topic", s.getString("topic"));
    r.put("at", now());
    try {
      r.put("brokers", brokersOf(s.getString("topic")));
    } catch (Exception e) {
      r.put("error", errorName(e));
    }
    routes.add(r);
  }

  private DefaultMQAdminExt admin;

  /** The topic on every broker of the cluster, as `mqadmin updateTopic -c` does. */
  private void createTopic(JSONObject s) throws Exception {
    if (admin == null) {
      admin = new DefaultMQAdminExt();
      admin.setNamesrvAddr(namesrv);
      admin.setInstanceName("mqsim-admin");
      admin.start();
    }
    TopicConfig config = new TopicConfig(s.getString("topic"), s.getIntValue("queues"), s.getIntValue("queues"));
    for (BrokerData bd : admin.examineBrokerClusterInfo().getBrokerAddrTable().values()) {
      admin.createAndUpdateTopicConfig(bd.getBrokerAddrs().get(0L), config);
    }
    // Ready when the NameServer has the topic's route (the broker registers it on creation).
    for (int i = 0; i < 150; i++) {
      try {
        if (!brokersOf(s.getString("topic")).isEmpty()) return;
      } catch (Exception notYet) {
        // TOPIC_NOT_EXIST until the broker's registration lands
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("topic " + s.getString("topic") + " has no route 15 s after its creation");
  }

  /** Until the NameServer has a route for the cluster topic (DefaultCluster): a broker registered (after a start). */
  private void waitRegistered() throws Exception {
    for (int i = 0; i < 600; i++) {
      try {
        if (!brokersOf(CLUSTER_TOPIC).isEmpty()) return;
      } catch (Exception notYet) {
        // not registered yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException("the broker did not register with the NameServer within 60 s");
  }

  private static final String CLUSTER_TOPIC = "DefaultCluster";

  private DefaultMQAdminExt admin() throws MQClientException {
    if (admin == null) {
      admin = new DefaultMQAdminExt();
      admin.setNamesrvAddr(namesrv);
      admin.setInstanceName("mqsim-admin");
      admin.start();
    }
    return admin;
  }

  /** The group's addresses by brokerId at the NameServer (empty when it has none). */
  private Map<Long, String> addrsOf(String brokerName) throws Exception {
    BrokerData bd = admin().examineBrokerClusterInfo().getBrokerAddrTable().get(brokerName);
    return bd == null ? Map.of() : new TreeMap<>(bd.getBrokerAddrs());
  }

  /** Until the NameServer has `addr` in the group, under any brokerId (a DLedger member registers under the id its role gives it). */
  private void waitAddr(String brokerName, String addr) throws Exception {
    for (int i = 0; i < 900; i++) {
      try {
        if (addrsOf(brokerName).containsValue(addr)) return;
      } catch (Exception notYet) {
        // the NameServer has no cluster yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(addr + " did not register in " + brokerName + " within 90 s");
  }

  /**
   * A snapshot of the group's addresses by brokerId, with its time; with `notLeader`, first wait
   * (up to 60 s, polling every 100 ms) until brokerId 0 is registered at another address: a new
   * master elected and registered.
   */
  private void cluster(String brokerName, String notLeader) throws Exception {
    Map<Long, String> addrs = Map.of();
    for (int i = 0; i < 600; i++) {
      try {
        addrs = addrsOf(brokerName);
      } catch (Exception notYet) {
        addrs = Map.of();
      }
      if (notLeader == null || (addrs.containsKey(0L) && !addrs.get(0L).equals(notLeader))) break;
      Thread.sleep(100);
    }
    JSONObject c = new JSONObject();
    c.put("at", now());
    JSONObject byId = new JSONObject();
    for (Map.Entry<Long, String> e : addrs.entrySet()) byId.put(String.valueOf(e.getKey()), e.getValue());
    c.put("addrs", byId);
    clusters.add(c);
  }

  /** Until the NameServer has an address for brokerId in the group brokerName (a master or a slave registered). */
  private void waitBroker(String brokerName, long brokerId) throws Exception {
    if (admin == null) {
      admin = new DefaultMQAdminExt();
      admin.setNamesrvAddr(namesrv);
      admin.setInstanceName("mqsim-admin");
      admin.start();
    }
    for (int i = 0; i < 600; i++) {
      try {
        BrokerData bd = admin.examineBrokerClusterInfo().getBrokerAddrTable().get(brokerName);
        if (bd != null && bd.getBrokerAddrs().containsKey(brokerId)) return;
      } catch (Exception notYet) {
        // the NameServer has no cluster yet
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(brokerName + " brokerId " + brokerId + " did not register with the NameServer within 60 s");
  }

  /** The version every broker of the cluster reports (brokerVersionDesc, e.g. V5_3_3). */
  private void version() throws Exception {
    if (admin == null) {
      admin = new DefaultMQAdminExt();
      admin.setNamesrvAddr(namesrv);
      admin.setInstanceName("mqsim-admin");
      admin.start();
    }
    List<String> versions = new ArrayList<>();
    for (BrokerData bd : admin.examineBrokerClusterInfo().getBrokerAddrTable().values()) {
      versions.add(admin.fetchBrokerRuntimeStats(bd.getBrokerAddrs().get(0L)).getTable().get("brokerVersionDesc"));
    }
    Collections.sort(versions);
    this.versions.addAll(versions);
  }

  private void readDlq(JSONObject s) throws MQClientException {
    String topic = "%DLQ%" + s.getString("group");
    DefaultMQPullConsumer c = new DefaultMQPullConsumer("mqsim_dlq_reader_" + s.getString("group"));
    c.setNamesrvAddr(namesrv);
    c.setInstanceName("dlq-reader-" + s.getString("group"));
    c.start();
    JSONObject r = new JSONObject();
    try {
      brokersOf(topic);
      List<String> ids = new ArrayList<>();
      for (MessageQueue mq : c.fetchSubscribeMessageQueues(topic)) {
        PullResult result = c.pull(mq, "*", 0, 64, 3000);
        if (result.getMsgFoundList() != null) for (MessageExt m : result.getMsgFoundList()) if (run.equals(m.getUserProperty(RUN))) ids.add(m.getUserProperty(ID) + " reconsumeTimes=" + m.getReconsumeTimes());
      }
      Collections.sort(ids);
      r.put("messages", ids);
    } catch (Exception e) {
      r.put("error", errorName(e));
    }
    dlq.put(topic, r);
  }
}
