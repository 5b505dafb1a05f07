// SMTP (RFC 5321): the server greets with "220 domain ESMTP ..." (or "554"/"421" when it
// refuses service); the client opens with EHLO/HELO (LHLO for LMTP, RFC 2033). The
// client's greeting command alone is conclusive; the server's "220" only when it names
// (E)SMTP, since FTP greets with "220" as well.

import {
  NEED_MORE,
  NO,
  YES,
  commandIn,
  containsAsciiFold,
  replyCode,
  type ProtocolSignature,
} from '../signature.js';
import { GREETING_SCAN } from '../ftp/detect.js';

const HELLO_COMMANDS: ReadonlySet<string> = new Set(['EHLO', 'HELO', 'LHLO']);

export const SMTP: ProtocolSignature = {
  name: 'smtp',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    const client = commandIn(c, cDone, HELLO_COMMANDS);
    if (client === YES) return YES;
    const code = replyCode(s, sDone);
    if (code === NEED_MORE || code === NO) return code;
    if (code !== 220 && code !== 421 && code !== 554) return NO;
    if (containsAsciiFold(s, 4, GREETING_SCAN, 'SMTP')) return YES;
    return client;
  },
};
