//! Field names and message types of Heartbeat's cluster messages (`ha_msg.h`).

/// `t`: message type.
pub const F_TYPE: &str = "t";
/// `src`: originating node.
pub const F_SRC: &str = "src";
/// `srcuuid`: originating node's uuid (binary, 16 bytes).
pub const F_SRCUUID: &str = "srcuuid";
/// `dest`: destination node.
pub const F_DEST: &str = "dest";
/// `destuuid`: destination node's uuid (binary, 16 bytes).
pub const F_DESTUUID: &str = "destuuid";
/// `seq`: sender's sequence number (hex); absent from `NS_*` messages.
pub const F_SEQ: &str = "seq";
/// `hg`: sender's generation (hex).
pub const F_HG: &str = "hg";
/// `ts`: sender's wall clock in seconds (hex).
pub const F_TS: &str = "ts";
/// `ld`: sender's load average text; absent from `NS_*` messages.
pub const F_LD: &str = "ld";
/// `ttl`: hop count (decimal), set but never used by Heartbeat 3.
pub const F_TTL: &str = "ttl";
/// `st`: a node status.
pub const F_STATUS: &str = "st";
/// `dt`: the sender's deadtime in ms (hex).
pub const F_DEADTIME: &str = "dt";
/// `protocol`: flow-control protocol version (decimal) of a status.
pub const F_PROTOCOL: &str = "protocol";
/// `firstseq`: first sequence number (decimal in `NS_rexmit`, hex in `NS_nak_rexmit`).
pub const F_FIRSTSEQ: &str = "firstseq";
/// `lastseq`: last sequence number of `NS_rexmit` (decimal).
pub const F_LASTSEQ: &str = "lastseq";
/// `ackseq`: acknowledged sequence number of `NS_ackmsg` (hex).
pub const F_ACKSEQ: &str = "ackseq";
/// `info`: a comment, a nak reason, or the phase of `ask_resources`.
pub const F_INFO: &str = "info";
/// `rsc_hold`: holdings `none|local|foreign|all`.
pub const F_RSC_HOLD: &str = "rsc_hold";
/// `rtype`: `full` when a resource report replaces the known holdings.
pub const F_RTYPE: &str = "rtype";
/// `isstable`: `1` when the reporting node finished its resource start-up.
pub const F_ISSTABLE: &str = "isstable";
/// `ipaddr`: resource group key of `ip-request` / `ip-request-resp`.
pub const F_IPADDR: &str = "ipaddr";
/// `weown`: `yes|no` in `ip-request-resp`.
pub const F_WEOWN: &str = "weown";
/// `ok`: `OK` in `ip-request-resp`.
pub const F_OK: &str = "ok";
/// `_compressed_payload`: present when the whole message was compressed.
pub const F_COMPRESSED_PAYLOAD: &str = "_compressed_payload";

/// Prefix of the message types that carry no sequence number.
pub const NOSEQ_PREFIX: &str = "NS_";

/// `status`: heartbeat.
pub const T_STATUS: &str = "status";
/// `NS_rexmit`: retransmission request.
pub const T_REXMIT: &str = "NS_rexmit";
/// `NS_nak_rexmit`: "cannot retransmit".
pub const T_NAK_REXMIT: &str = "NS_nak_rexmit";
/// `NS_ackmsg`: cumulative acknowledgement.
pub const T_ACKMSG: &str = "NS_ackmsg";
/// `NS_st`: status forged by a ping plugin.
pub const T_NS_STATUS: &str = "NS_st";
/// `starting`: nice_failback start-up announcement.
pub const T_STARTING: &str = "starting";
/// `resource`: resource report.
pub const T_RESOURCE: &str = "resource";
/// `ask_resources`: standby exchange.
pub const T_ASK_RESOURCES: &str = "ask_resources";
/// `ip-request`: legacy failback request.
pub const T_IP_REQUEST: &str = "ip-request";
/// `ip-request-resp`: answer to `ip-request`.
pub const T_IP_REQUEST_RESP: &str = "ip-request-resp";
/// `shutdone`: the sender released everything and is leaving.
pub const T_SHUTDONE: &str = "shutdone";
/// `reqnodes`: node-list request at start-up.
pub const T_REQNODES: &str = "reqnodes";
/// `repnodes`: node-list reply (`nodelist`, `delnodelist`).
pub const T_REPNODES: &str = "repnodes";
/// `stonith`: result of a STONITH operation (`node`, `result`).
pub const T_STONITH: &str = "stonith";
/// `stonith`: the node that was reset.
pub const F_NODE: &str = "node";
/// `stonith`: `OK`, `badhost`, `bad`, `n_stnth` or `unneeded`.
pub const F_RESULT: &str = "result";
/// `stonith` `result` of a successful reset.
pub const STONITH_OK: &str = "OK";
/// `stonith` (heartbeat-rs): the reset node's generation (hex); Heartbeat
/// ignores it.
pub const F_HBRS_GENERATION: &str = "hbrs_gen";
/// `hb_takeover`: ask the peer to run a standby for a set of groups.
pub const T_HB_TAKEOVER: &str = "hb_takeover";
/// `nodelist` of `repnodes`: the sender's nodes, each followed by a space.
pub const F_NODELIST: &str = "nodelist";
/// `delnodelist` of `repnodes`: deleted nodes (a single space when none).
pub const F_DELNODELIST: &str = "delnodelist";
/// heartbeat-rs ownership announcement (unsequenced; Heartbeat ignores it).
pub const T_HBRS_OWNERSHIP: &str = "NS_hbrs_ownership";
/// heartbeat-rs application message (sequenced; Heartbeat ignores it).
pub const T_HBRS_APP: &str = "hbrs-app";
/// Ownership: the sender's highest sequenced number (hex).
pub const F_HISEQ: &str = "hiseq";
/// Ownership: the announcement serial (hex).
pub const F_SERIAL: &str = "serial";
/// Ownership: digest of the sender's group list (hex).
pub const F_GROUPS_DIGEST: &str = "gdigest";
/// Ownership: index of the first group described (decimal).
pub const F_FIRST: &str = "first";
/// Ownership: one letter per group, `f` free, `h` held, `u` unmanaged.
pub const F_HOLDS: &str = "holds";
/// Ownership: one digit per group, `1` faulty (absent when none is).
pub const F_FAULTS: &str = "faults";
/// Application message: the payload (binary).
pub const F_DATA: &str = "data";
