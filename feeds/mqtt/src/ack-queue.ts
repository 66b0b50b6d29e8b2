/**
 * PUBACKs in the order the PUBLISH packets arrived (MQTT 5 §4.6: a receiver MUST send PUBACK
 * packets in that order), each only once its message is settled: its tick published or
 * refused for good. A message whose tick failed is never acknowledged; the session is then
 * dropped and the broker sends it again on the resumed session (MQTT 5 §4.4).
 */
export function createAckQueue(send: (messageId: number) => void) {
  const queue: Array<{ messageId: number; done: boolean }> = [];
  let head = 0;
  return {
    /** A QoS 1 message arrived; call the returned function once it is settled. */
    add(messageId: number): () => void {
      const slot = { messageId, done: false };
      queue.push(slot);
      return () => {
        slot.done = true;
        while (head < queue.length && queue[head]!.done) send(queue[head++]!.messageId);
        if (head > 1024 && head * 2 > queue.length) {
          queue.splice(0, head);
          head = 0;
        }
      };
    },
    /** Messages received and not yet acknowledged. */
    get waiting(): number {
      return queue.length - head;
    },
  };
}
