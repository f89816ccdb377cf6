/* Unit tests for media legs (media/leg*.c) over loopback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>
#include <re.h>
#include <rem.h>
#include "media/mconf.h"
#include "media/mtick.h"
#include "media/mixer.h"
#include "media/leg.h"
#include "loop.h"

/* What one leg's owner saw. */
struct seen {
	char digits[32];
	unsigned ndigits;
	uint32_t last_dur;
	enum leg_event evv[8];
	unsigned nev;
	char want_digits;        /**< stop the loop after this many    */
	enum leg_event want_ev;  /**< stop the loop on this event      */
};

/* A side of a call: leg, mixer, a tone source and a meter. */
struct side {
	struct leg *leg;
	struct mixer *mx;
	struct mport *src;
	struct mport *meter;
	struct seen seen;
	double freq;             /**< tone the source plays, 0 = none */
	uint32_t phase;
	unsigned loud;           /**< frames heard above the level     */
	unsigned want_loud;
};

static struct sa lo;


static void dtmf_h(char digit, uint32_t dur_ms, void *arg)
{
	struct seen *s = arg;

	if (s->ndigits < sizeof(s->digits) - 1)
		s->digits[s->ndigits++] = digit;
	s->last_dur = dur_ms;
	if (s->want_digits && s->ndigits >= (unsigned)s->want_digits)
		re_cancel();
}


static void event_h(enum leg_event ev, void *arg)
{
	struct seen *s = arg;

	if (s->nev < ARRAY_SIZE(s->evv))
		s->evv[s->nev++] = ev;
	if (ev == s->want_ev)
		re_cancel();
}


static bool tone_read(int16_t *frame, void *arg)
{
	struct side *sd = arg;
	size_t i;

	if (sd->freq <= 0)
		return false;

	for (i = 0; i < MEDIA_FRAME; i++, sd->phase++)
		frame[i] = (int16_t)(8000 * sin(2 * M_PI * sd->freq *
						sd->phase / MEDIA_SRATE));

	return true;
}


static void meter_write(const int16_t *frame, bool silent, void *arg)
{
	struct side *sd = arg;
	int64_t e = 0;
	size_t i;

	if (silent)
		return;

	for (i = 0; i < MEDIA_FRAME; i++)
		e += (int64_t)frame[i] * frame[i];

	if (e / MEDIA_FRAME > 1000000 && ++sd->loud == sd->want_loud)
		re_cancel();
}


static int side_alloc(struct side *sd, uint16_t pmin, const char *codecs,
		      bool latch, uint32_t timeout)
{
	struct leg_cfg cfg;
	int err;

	memset(&cfg, 0, sizeof(cfg));
	cfg.laddr    = &lo;
	cfg.port_min = pmin;
	cfg.port_max = pmin + 100;
	cfg.codecs   = codecs;
	cfg.nat_latch = latch;
	cfg.rtp_timeout_ms = timeout;

	err = leg_alloc(&sd->leg, &cfg, dtmf_h, event_h, &sd->seen);
	if (err)
		return err;

	err  = mixer_alloc(&sd->mx);
	err |= leg_attach(sd->leg, sd->mx);
	err |= mport_alloc(&sd->src, sd->mx, "tone", tone_read, NULL, sd);
	err |= mport_alloc(&sd->meter, sd->mx, "meter", NULL, meter_write,
			   sd);
	mport_hear(leg_port(sd->leg), sd->src, true);
	mport_hear(sd->meter, leg_port(sd->leg), true);

	return err;
}


static void side_free(struct side *sd)
{
	mem_deref(sd->meter);
	mem_deref(sd->src);
	mem_deref(sd->leg);
	mem_deref(sd->mx);
	memset(sd, 0, sizeof(*sd));
}


/* a offers, b answers, a takes the answer. */
static void connect_sides(struct side *a, struct side *b)
{
	struct mbuf *offer = NULL, *answer = NULL;

	assert_int_equal(leg_offer(a->leg, &offer), 0);
	assert_int_equal(leg_answer(b->leg, offer, &answer), 0);
	assert_int_equal(leg_answered(a->leg, answer), 0);
	mem_deref(offer);
	mem_deref(answer);
}


static void test_audio_flows(void **state)
{
	struct side a, b;
	struct leg_stats st;
	(void)state;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(side_alloc(&a, 20000, "PCMU,PCMA", false, 0), 0);
	assert_int_equal(side_alloc(&b, 20200, "PCMA,PCMU", false, 0), 0);

	assert_int_equal(leg_rtp_port(a.leg) % 2, 0);
	assert_in_range(leg_rtp_port(a.leg), 20000, 20098);

	connect_sides(&a, &b);
	assert_string_equal(leg_codec(b.leg), "PCMA");
	assert_string_equal(leg_codec(a.leg), "PCMA");

	assert_int_equal(leg_start(a.leg), 0);
	assert_int_equal(leg_start(b.leg), 0);

	a.freq = 440;
	b.want_loud = 10;
	assert_int_equal(loop_run(3000), 0);

	leg_stats_get(b.leg, &st);
	assert_true(st.rx_packets >= 10);
	assert_int_equal(st.rx_rejected, 0);
	assert_int_equal(st.rx_lost, 0);
	leg_stats_get(a.leg, &st);
	assert_true(st.tx_packets >= 10);

	side_free(&a);
	side_free(&b);
}


static int setup(void **state)
{
	int err;
	(void)state;

	err = libre_init();
	if (err)
		return err;

	sa_set_str(&lo, "127.0.0.1", 0);

	return mtick_init();
}


static int teardown(void **state)
{
	(void)state;
	mtick_close();
	libre_close();

	return 0;
}


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audio_flows),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
