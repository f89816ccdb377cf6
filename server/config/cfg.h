/* Process configuration: defaults, config file, environment overrides. */
#ifndef OPENSEAT_CFG_H
#define OPENSEAT_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg {
	char     http_addr[64];          /* "0.0.0.0" */
	uint32_t http_port;              /* 8443, 1..65535 */
	char     tls_cert[512];          /* "" = plain HTTP only */
	char     tls_key[512];
	char     web_root[512];          /* "web" */
	char     database_url[1024];     /* runtime role conninfo */
	char     database_admin_url[1024]; /* migrations; "" = database_url */
	uint32_t db_pool_size;           /* 4, 1..64 */
	uint32_t db_max_queue;           /* 1000, 1..100000 */
	uint32_t workers;                /* 2, 1..64 */
	char     log_level[16];          /* "info": debug|info|warn|error */
	char     log_format[16];         /* "json": json|text */
	char     sip_addr[64];           /* "0.0.0.0" */
	uint32_t sip_port;               /* 5060 */
	char     public_addr[64];        /* "" = auto */
	uint32_t rtp_port_min;           /* 20000 */
	uint32_t rtp_port_max;           /* 30000, must be > min */
	char     jwt_secret[256];        /* required unless jwt_secret_file */
	char     jwt_secret_file[512];   /* "" */
	uint32_t access_token_ttl;       /* 900 s, 60..86400 */
	uint32_t refresh_token_ttl;      /* 2592000 s, 300..31536000 */
	uint32_t max_body;               /* 1048576 bytes, 1024..104857600 */
	uint32_t login_max_failures;     /* 5, 1..1000 */
	uint32_t login_window;           /* 300 s */
	uint32_t login_ban;              /* 300 s */
	uint32_t api_rate_per_s;         /* 20 requests/s per API key */
	uint32_t api_rate_burst;         /* 40 requests at once per key */
	uint32_t ws_max_queue;           /* 256 messages per client */
	uint32_t ws_ping_interval;       /* 30 s, 1..3600 */
	char     var_dir[512];           /* "var" */
	char     migrations_dir[512];    /* "migrations" */
	char     clock_offset[32];       /* "": real time; "+N"/"-N" s, or
					    "@2026-11-23T10:00:00Z" start */
	/* telephony */
	char     sip_tls_cert[512];      /* "": no SIP over TLS (port+1) */
	uint32_t sip_session_expires;    /* 1800 s RFC 4028; 0 = off */
	uint32_t rtp_timeout;            /* 30 s without RTP ends a call */
	char     sip_codecs[64];         /* "PCMA,PCMU" preference */
	char     sip_realm[64];          /* "openseat" digest realm */
	uint32_t sip_auth_max_failures;  /* 10 failed digests ... */
	uint32_t sip_auth_window;        /* 60 s ... */
	uint32_t sip_auth_ban;           /* 600 s: then 403 for the source */
	uint32_t sip_reg_min_expires;    /* 60 s: shorter REGISTER -> 423 */
	uint32_t sip_reg_max_expires;    /* 3600 s: longer ones cut */
	uint32_t sip_qualify_interval;   /* 30 s OPTIONS to phones; 0 = off */
	uint32_t acd_check;              /* 1: ACD invariants checked after
					    every operation (tests, soak) */
	char     prompts_dir[512];       /* "build/prompts": built-ins */
	uint32_t prompt_max_bytes;       /* 20971520 upload size */
	uint32_t prompt_max_seconds;     /* 300 */
	uint32_t lookup_timeout_ms;      /* 3000 CRM lookup from IVR */
	uint32_t voicemail_max_seconds;  /* 120 */
	/* business records */
	uint32_t ticket_attachment_max;  /* 10485760 bytes per attachment */
	uint32_t ticket_check_period;    /* 60 s between escalation checks */
	/* browser softphone */
	uint32_t webrtc_grace;           /* 40 s: a console may be away
					    (reload, network) this long
					    before its agent is offline and
					    its call's media given up */
	/* call recording */
	char     recording_dir[512];     /* "": <var_dir>/recordings */
	char     recording_master_key[128];  /* 64 hex digits; required
					       unless ..._file */
	char     recording_master_key_file[512];
	char     recording_master_key_old[128];  /* rewrap keys from it */
	uint32_t recording_bitrate;      /* 32 kbit/s MP3, 8..64 */
	uint32_t recording_encoders;     /* 1 encoder thread, 1..16 */
	uint32_t recording_buffer_ms;    /* 4000 ms of audio buffered per
					    recording for the encoder */
	uint32_t recording_purge_hour;   /* 3: the retention purge's hour
					    (UTC+8) */
	/* outgoing requests and webhooks */
	char     egress_allow[512];      /* "": CIDRs outgoing requests may
					    reach even if refused below */
	uint32_t egress_allow_private;   /* 1: RFC 1918, 100.64/10 and
					    fc00::/7 reachable (a CRM on a
					    VPN); 0: only by egress_allow */
	uint32_t webhook_timeout_ms;     /* 10000: connect + response */
	uint32_t webhook_concurrency;    /* 64 requests at once in all */
	uint32_t webhook_endpoint_concurrency;  /* 4 per endpoint */
	uint32_t webhook_time_scale;     /* 1: retry delays divided by it
					    (tests shrink the schedule) */
};

/** Minimum length of jwt_secret when it is given. */
#define CFG_JWT_SECRET_MIN 32

void cfg_defaults(struct cfg *cfg);
int  cfg_load(struct cfg *cfg, const char *path, char *errbuf, size_t errsz);
int  cfg_parse_buf(struct cfg *cfg, const uint8_t *buf, size_t len,
		   unsigned *nwarnp, char *errbuf, size_t errsz);
int  cfg_apply_env(struct cfg *cfg, char *errbuf, size_t errsz);
int  cfg_check(const struct cfg *cfg, char *errbuf, size_t errsz);

#endif
