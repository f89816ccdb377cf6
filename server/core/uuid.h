/* Random (version 4) UUIDs for ids we choose before inserting. */
#ifndef OPENSEAT_UUID_H
#define OPENSEAT_UUID_H

#define UUID_STRLEN 37

void uuid_v4(char out[UUID_STRLEN]);

#endif
