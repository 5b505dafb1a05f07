// IANA "TLS ExtensionType Values" registry, plus widely deployed unregistered ones
// (NPN, Channel ID, ALPS, the pre-RFC QUIC transport parameters, old padding). Names follow
// the registry (35 is "session_ticket"; Zeek calls it "SessionTicket TLS").
import { isGrease } from './grease.js';

const NAMES = new Map<number, string>([
  [0, 'server_name'],
  [1, 'max_fragment_length'],
  [2, 'client_certificate_url'],
  [3, 'trusted_ca_keys'],
  [4, 'truncated_hmac'],
  [5, 'status_request'],
  [6, 'user_mapping'],
  [7, 'client_authz'],
  [8, 'server_authz'],
  [9, 'cert_type'],
  [10, 'supported_groups'],
  [11, 'ec_point_formats'],
  [12, 'srp'],
  [13, 'signature_algorithms'],
  [14, 'use_srtp'],
  [15, 'heartbeat'],
  [16, 'application_layer_protocol_negotiation'],
  [17, 'status_request_v2'],
  [18, 'signed_certificate_timestamp'],
  [19, 'client_certificate_type'],
  [20, 'server_certificate_type'],
  [21, 'padding'],
  [22, 'encrypt_then_mac'],
  [23, 'extended_master_secret'],
  [24, 'token_binding'],
  [25, 'cached_info'],
  [26, 'tls_lts'],
  [27, 'compress_certificate'],
  [28, 'record_size_limit'],
  [29, 'pwd_protect'],
  [30, 'pwd_clear'],
  [31, 'password_salt'],
  [32, 'ticket_pinning'],
  [33, 'tls_cert_with_extern_psk'],
  [34, 'delegated_credential'],
  [35, 'session_ticket'],
  [36, 'TLMSP'],
  [37, 'TLMSP_proxying'],
  [38, 'TLMSP_delegate'],
  [39, 'supported_ekt_ciphers'],
  [40, 'key_share_old'], // registry: Reserved (used by TLS 1.3 drafts ≤ 22)
  [41, 'pre_shared_key'],
  [42, 'early_data'],
  [43, 'supported_versions'],
  [44, 'cookie'],
  [45, 'psk_key_exchange_modes'],
  [46, 'ticket_early_data_info'], // registry: Reserved (TLS 1.3 drafts)
  [47, 'certificate_authorities'],
  [48, 'oid_filters'],
  [49, 'post_handshake_auth'],
  [50, 'signature_algorithms_cert'],
  [51, 'key_share'],
  [52, 'transparency_info'],
  [53, 'connection_id_deprecated'],
  [54, 'connection_id'],
  [55, 'external_id_hash'],
  [56, 'external_session_id'],
  [57, 'quic_transport_parameters'],
  [58, 'ticket_request'],
  [59, 'dnssec_chain'],
  [60, 'sequence_number_encryption_algorithms'],
  [61, 'rrc'],
  [62, 'tls_flags'],
  [13172, 'next_protocol_negotiation'],
  [13175, 'origin_bound_certificates'],
  [13180, 'encrypted_client_certificates'],
  [17513, 'application_settings'], // ALPS (draft-vvv-tls-alps), 0x4469
  [17613, 'application_settings'], // ALPS, codepoint Chrome moved to in 2025 (0x44cd)
  [30031, 'channel_id'],
  [30032, 'channel_id_new'],
  [35655, 'padding'], // pre-RFC 7685 padding codepoint
  [64768, 'ech_outer_extensions'],
  [65037, 'encrypted_client_hello'],
  [65281, 'renegotiation_info'],
  [65445, 'quic_transport_parameters_draft'], // 0xffa5, QUIC drafts ≤ 32
  [65486, 'encrypted_server_name'], // 0xffce, ESNI drafts (before ECH)
]);

/** Registry name; `grease` for RFC 8701 values; `unknown-0xNNNN` otherwise. */
export function extensionName(code: number): string {
  const known = NAMES.get(code);
  if (known) return known;
  if (isGrease(code)) return 'grease';
  return `unknown-0x${(code & 0xffff).toString(16).padStart(4, '0')}`;
}
