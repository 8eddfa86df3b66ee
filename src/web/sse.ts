/**
 * Incremental Server-Sent Events parser for a fetch() body (EventSource cannot POST). Feed it text
 * chunks as they arrive; it calls `onEvent` once per complete event (blocks end with a blank line).
 */
export function sseParser(onEvent: (event: string, data: string) => void): (chunk: string) => void {
  let buf = '';
  return (chunk: string) => {
    buf += chunk.replace(/\r\n/g, '\n');
    let end: number;
    for (end = buf.indexOf('\n\n'); end >= 0; end = buf.indexOf('\n\n')) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent(event, data.join('\n'));
    }
  };
}
