// FTP (RFC 959): the server speaks first with a "220" greeting (or "120" service
// ready later / "421" unavailable). SMTP greets with "220" too, so the greeting decides
// only when it names the protocol; otherwise the client's first command does (FTP
// clients open with USER, AUTH TLS (RFC 4217), FEAT, SYST, OPTS, HOST (RFC 7151)...).

import {
  NEED_MORE,
  NO,
  YES,
  commandIn,
  containsAsciiFold,
  replyCode,
  type ProtocolSignature,
} from '../signature.js';

/** Commands an FTP client sends before or right after logging in. */
export const FTP_OPENING_COMMANDS: ReadonlySet<string> = new Set([
  'USER', 'AUTH', 'FEAT', 'SYST', 'OPTS', 'HOST', 'CLNT', 'PBSZ', 'PROT', 'LANG', 'ACCT', 'PASS',
]);

/** How far into the greeting (possibly multi-line "220-") the protocol name is looked for. */
export const GREETING_SCAN = 512;

export const FTP: ProtocolSignature = {
  name: 'ftp',
  transport: 'tcp',
  encrypted: false,
  detect(c, s, cDone, sDone) {
    const code = replyCode(s, sDone);
    if (code === NEED_MORE || code === NO) return code;
    if (code !== 220 && code !== 120 && code !== 421) return NO;
    if (containsAsciiFold(s, 4, GREETING_SCAN, 'SMTP')) return NO;
    if (containsAsciiFold(s, 4, GREETING_SCAN, 'FTP')) return YES;
    return commandIn(c, cDone, FTP_OPENING_COMMANDS);
  },
};
