/**
 * RabbitMQ's topic exchange matching (rabbit_db_topic_exchange in rabbitmq-server, which walks
 * a trie of binding words for each routing key).
 *
 * Both keys are split into words at every '.', keeping empty words: "a..b" is a, "", b and
 * "a." is a, "". The one exception is the empty key, which is no words at all rather than one
 * empty word (split_topic_key and split_topic_key_binary both special-case it). So "" is matched
 * by "" and "#" but not by "*", while "." (two empty words) is matched by "*.*".
 *
 * In the binding key a word that is exactly "*" matches any one word (empty included) and a word
 * that is exactly "#" matches any run of words (none included); any other word, "a#" or "*b"
 * too, must equal the routing word byte for byte. A routing key's own "*" or "#" is an ordinary
 * word. Splitting a JavaScript string at '.' is the same as splitting its UTF-8 bytes, since the
 * byte '.' never occurs inside a multi-byte character.
 *
 * This is matching only: newer servers also refuse to declare a binding with more than two "#"
 * words (rabbit_exchange_type_topic:validate_binding), which is the binding's business.
 */
export function topicMatches(bindingKey: string, routingKey: string): boolean {
  const pattern = splitTopicKey(bindingKey);
  const words = splitTopicKey(routingKey);
  // reached[i]: the binding words so far can consume exactly the first i routing words. One
  // pass per binding word keeps "#.#.#..." linear instead of backtracking exponentially.
  let reached = new Array<boolean>(words.length + 1).fill(false);
  reached[0] = true;
  for (const p of pattern) {
    const next = new Array<boolean>(words.length + 1).fill(false);
    if (p === '#') {
      // Once some prefix is reached, '#' can swallow any number of the following words.
      let seen = false;
      for (let i = 0; i <= words.length; i++) {
        seen = seen || reached[i]!;
        next[i] = seen;
      }
    } else {
      for (let i = 0; i < words.length; i++) next[i + 1] = reached[i]! && (p === '*' || p === words[i]);
    }
    reached = next;
  }
  return reached[words.length]!;
}

function splitTopicKey(key: string): string[] {
  return key === '' ? [] : key.split('.');
}
