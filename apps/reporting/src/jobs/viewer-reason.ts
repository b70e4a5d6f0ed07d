/** The longest reason a viewer is shown for a failed run. */
export const VIEWER_REASON_LENGTH = 160;

/**
 * A failed run's reason as a viewer may read it. The full message can quote what an external system
 * answered (the body of its error page: internal host names, stack traces, anything) and name internal
 * addresses; a viewer gets our own words only: what follows "HTTP <status>" is cut, URLs and IP
 * addresses become "[address]", control characters go, and the whole is at most VIEWER_REASON_LENGTH
 * characters. Operators and admins see the message in full.
 */
export function viewerReason(message: string): string {
  let text = message.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
  const status = /\bHTTP \d{3}\b/.exec(text);
  if (status) {
    const head = text.slice(0, status.index + status[0].length);
    text = head + (head.lastIndexOf('(') > head.lastIndexOf(')') ? ')' : '');
  }
  text = text
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s)]+/gi, '[address]')
    .replace(/\[[0-9a-f:.]+\](?::\d+)?/gi, '[address]')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '[address]')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > VIEWER_REASON_LENGTH ? `${text.slice(0, VIEWER_REASON_LENGTH - 1)}…` : text;
}
