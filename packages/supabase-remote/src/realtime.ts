/**
 * The Realtime hint of `agentlogs sync --watch`: a subscription to changes of the user's row in `private.sync_state`
 * (every accepted push updates it). An event only makes the engine pull sooner; the 30 s pull stays the data
 * path, so a project without Realtime (or a dropped connection) changes nothing but the delay.
 */
import type { ProjectClient } from './client.js';

export interface ServerChangeHint {
  stop(): Promise<void>;
}

export function listenForServerChanges(
  client: ProjectClient,
  userId: string,
  onChange: () => void,
  log: (line: string) => void,
): ServerChangeHint {
  let reported = false;
  const channel = client
    .channel(`agentlogs-sync-${userId}`)
    .on(
      'postgres_changes',
      { event: '*', schema: 'private', table: 'sync_state', filter: `user_id=eq.${userId}` },
      () => onChange(),
    )
    .subscribe((status) => {
      if (status === 'SUBSCRIBED') {
        log('listening for changes from your other machines (Realtime)');
        reported = false;
      } else if ((status === 'CHANNEL_ERROR' || status === 'TIMED_OUT') && !reported) {
        reported = true;
        log('Realtime is not available; pulling on the timer only');
      }
    });
  return {
    async stop() {
      try {
        await client.removeChannel(channel);
      } finally {
        client.realtime.disconnect();
      }
    },
  };
}
