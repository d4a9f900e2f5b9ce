/* vmctl verbs about defined domains (vmctl-domain.c). argv[0] is the verb; the argument count is
 * checked by the verb table in vmctl.c. Each returns the process exit status. */
#pragma once

int verb_list(int argc, char *argv[]);
int verb_dominfo(int argc, char *argv[]);
int verb_domstate(int argc, char *argv[]);
int verb_define(int argc, char *argv[]);
int verb_undefine(int argc, char *argv[]);
int verb_dumpxml(int argc, char *argv[]);
int verb_edit(int argc, char *argv[]);
int verb_autostart(int argc, char *argv[]);
int verb_start(int argc, char *argv[]);
int verb_capabilities(int argc, char *argv[]);
