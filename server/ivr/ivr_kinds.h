/* The node kinds defined outside ivr_kind.c, for its registry. */
#ifndef OPENSEAT_IVR_KINDS_H
#define OPENSEAT_IVR_KINDS_H

extern const struct ivr_kind ivr_kind_menu;
extern const struct ivr_kind ivr_kind_collect;
extern const struct ivr_kind ivr_kind_time_switch;
extern const struct ivr_kind ivr_kind_caller_switch;
extern const struct ivr_kind ivr_kind_area_switch;
extern const struct ivr_kind ivr_kind_lookup;

#endif
