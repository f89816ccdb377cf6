/* Quality review (质检): a tenant's QA forms and the scores reviewers
 * give recordings. */
#ifndef OPENSEAT_QA_H
#define OPENSEAT_QA_H

int qa_api_init(void);

#endif
