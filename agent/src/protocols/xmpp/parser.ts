// XMPP (RFC 6120) cleartext parser, client-to-server and server-to-server streams:
//   - the receiving entity's <stream:features> listing
//     <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> (offered; <required/> inside
//     is noted), and the SASL <mechanisms>;
//   - the initiating entity's <starttls/>, answered by <proceed/> (the server's stream
//     is TLS right after that element, the initiator's right after its <starttls/>,
//     §5.4.3.3) or <failure/> (refused);
//   - SASL <auth mechanism='PLAIN'>base64</auth> (also X-OAUTH2, XOAUTH2, OAUTHBEARER):
//     credential with the user taken from the message;
//   - legacy XEP-0078 <query xmlns='jabber:iq:auth'> with a <password> element.
// After SASL <success/> the streams restart authenticated: nothing more to learn.

import { registerAppParser } from '../app-parser.js';
import { cleanString } from '../text/ascii.js';
import { saslUser } from '../text/sasl.js';
import { TextSessionParser, UPGRADE_ACCEPTED, UPGRADE_REQUESTED } from '../text/session.js';
import { TOK_EMPTY, TOK_END, TOK_START, TOK_TEXT, XmlScanner, attribute, localName } from './xml.js';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';
const NS_IQ_AUTH = 'jabber:iq:auth';

/** What the text inside the current element is wanted for. */
const WANT_NONE = 0;
const WANT_AUTH = 1; // <auth> (client): SASL initial response
const WANT_MECHANISM = 2; // <mechanism> (server features)
const WANT_USERNAME = 3; // <username> (iq:auth)

class Side {
  readonly xml = new XmlScanner();
  depth = 0; // 1 inside <stream:stream>
  want = WANT_NONE;
  wantDepth = 0;
  text = '';
}

export class XmppParser extends TextSessionParser {
  private readonly c = new Side();
  private readonly s = new Side();
  // server: inside <stream:features> (depth 2), inside its <starttls> (depth 3)
  private inFeatures = false;
  private featStarttls = false;
  private inFeatureTls = false;
  private mechanisms: string[] | null = null;
  // server: a non-empty <proceed>: switch after its end tag
  private proceedOpen = false;
  // client
  private authMech = '';
  private iqAuth = false; // inside <query xmlns='jabber:iq:auth'>
  private iqUser: string | null = null;
  private iqPassword = false;

  protected parse(fromClient: boolean, buf: Buffer, pos: number, end: number): number {
    const side = fromClient ? this.c : this.s;
    const x = side.xml;
    while (pos < end) {
      if (x.idle) {
        if (this.upgradeState === UPGRADE_REQUESTED || this.upgradeState === UPGRADE_ACCEPTED) {
          // whitespace (a keepalive) between the last element and the handshake is still cleartext
          while (pos < end && (buf[pos] === 0x20 || buf[pos] === 0x0a || buf[pos] === 0x0d || buf[pos] === 0x09)) pos++;
          if (pos === end) return end;
        }
        if (fromClient ? this.clientSwitchesHere(buf, pos, end) : this.serverSwitchesHere(buf, pos, end)) return pos;
      }
      const next = x.next(buf, pos, end);
      if (next < 0) return end;
      pos = next;
      const switches = fromClient ? this.clientToken(side) : this.serverToken(side);
      if (switches) return pos;
    }
    return end;
  }

  /** Depth bookkeeping common to both sides; returns the depth of the element a start/empty tag opens. */
  private enter(side: Side, name: string): number {
    const x = side.xml;
    if (x.kind === TOK_START) {
      if (name === 'stream') side.depth = 0; // a (re)started stream
      return ++side.depth;
    }
    if (x.kind === TOK_EMPTY) return side.depth + 1;
    if (x.kind === TOK_END) {
      const d = side.depth;
      if (side.depth > 0) side.depth--;
      return d;
    }
    return side.depth;
  }

  private clientToken(side: Side): boolean {
    const x = side.xml;
    if (x.kind === TOK_TEXT) {
      if (side.want !== WANT_NONE && side.text.length < 4096) side.text += x.tok.toString('latin1', x.start, x.end);
      return false;
    }
    const name = localName(x.tok, x.start, x.end);
    const depth = this.enter(side, name);
    if (x.kind === TOK_END) {
      if (side.want === WANT_AUTH && depth === side.wantDepth) this.authMessage(side.text);
      else if (side.want === WANT_USERNAME && depth === side.wantDepth) this.iqUser = cleanString(side.text.trim());
      if (depth === side.wantDepth) {
        side.want = WANT_NONE;
        side.text = '';
      }
      if (name === 'query' && this.iqAuth) {
        if (this.iqPassword) this.addCredential('xmpp-iq-auth', this.iqUser);
        this.iqAuth = false;
      }
      return false;
    }
    if (x.kind !== TOK_START && x.kind !== TOK_EMPTY) return false;
    const xmlns = attribute(x.tok, x.start, x.end, 'xmlns');
    if (depth === 2 && name === 'starttls' && xmlns === NS_TLS) {
      this.requestUpgrade();
    } else if (depth === 2 && name === 'auth' && xmlns === NS_SASL) {
      this.authMech = (attribute(x.tok, x.start, x.end, 'mechanism') ?? '').toUpperCase().slice(0, 40);
      if (x.kind === TOK_START) this.want(side, WANT_AUTH, depth);
    } else if (name === 'query' && xmlns === NS_IQ_AUTH) {
      this.iqAuth = x.kind === TOK_START;
      this.iqUser = null;
      this.iqPassword = false;
    } else if (this.iqAuth && name === 'username' && x.kind === TOK_START) {
      this.want(side, WANT_USERNAME, depth);
    } else if (this.iqAuth && name === 'password') {
      this.iqPassword = true;
    }
    return false;
  }

  private want(side: Side, what: number, depth: number): void {
    side.want = what;
    side.wantDepth = depth;
    side.text = '';
  }

  /** The <auth> element's text: a SASL initial response. */
  private authMessage(text: string): void {
    const mech = this.authMech;
    const layout = mech === 'PLAIN' || mech === 'X-OAUTH2' ? 'PLAIN' : mech === 'XOAUTH2' || mech === 'OAUTHBEARER' ? mech : null;
    if (layout === null) return;
    const b = Buffer.from(text.trim(), 'latin1');
    const got = saslUser(layout, b, 0, b.length);
    b.fill(0);
    if (got !== null) this.addCredential(`xmpp-${mech.toLowerCase()}`, got.user);
  }

  private serverToken(side: Side): boolean {
    const x = side.xml;
    if (x.kind === TOK_TEXT) {
      if (side.want !== WANT_NONE && side.text.length < 256) side.text += x.tok.toString('latin1', x.start, x.end);
      return false;
    }
    const name = localName(x.tok, x.start, x.end);
    const depth = this.enter(side, name);
    if (x.kind === TOK_END) {
      if (side.want === WANT_MECHANISM && depth === side.wantDepth) {
        const list = (this.mechanisms ??= []);
        const m = side.text.trim().toUpperCase().slice(0, 40);
        if (m && !list.includes(m) && list.length < 16) list.push(m);
        this.detail('auth_mechanisms', list);
        side.want = WANT_NONE;
      }
      if (depth === 3 && this.inFeatureTls && name === 'starttls') this.inFeatureTls = false;
      if (depth === 2 && this.inFeatures && name === 'features') this.endFeatures();
      if (depth === 2 && this.proceedOpen && name === 'proceed') {
        this.proceedOpen = false;
        this.acceptUpgrade();
        return true;
      }
      return false;
    }
    if (x.kind !== TOK_START && x.kind !== TOK_EMPTY) return false;
    if (depth === 2) {
      const xmlns = attribute(x.tok, x.start, x.end, 'xmlns');
      if (name === 'features') {
        this.inFeatures = x.kind === TOK_START;
        this.featStarttls = false;
        if (x.kind === TOK_EMPTY) this.endFeatures();
      } else if (name === 'proceed' && xmlns === NS_TLS) {
        this.detail('starttls_reply', 'proceed');
        if (x.kind === TOK_EMPTY) {
          this.acceptUpgrade();
          return true;
        }
        this.proceedOpen = true;
      } else if (name === 'failure' && xmlns === NS_TLS) {
        this.detail('starttls_reply', 'failure');
        this.refuseUpgrade();
      } else if (name === 'success' && xmlns === NS_SASL) {
        this.finish();
      }
      return false;
    }
    if (this.inFeatures && depth === 3 && name === 'starttls' && attribute(x.tok, x.start, x.end, 'xmlns') === NS_TLS) {
      this.featStarttls = true;
      this.inFeatureTls = x.kind === TOK_START;
    } else if (this.inFeatureTls && depth === 4 && name === 'required') {
      this.detail('starttls_required', true);
    } else if (this.inFeatures && name === 'mechanism' && x.kind === TOK_START) {
      this.want(side, WANT_MECHANISM, depth);
    }
    return false;
  }

  private endFeatures(): void {
    this.inFeatures = false;
    this.inFeatureTls = false;
    this.advertised(this.featStarttls);
  }
}

registerAppParser('xmpp', () => new XmppParser());
