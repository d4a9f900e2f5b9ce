/* vmctl verbs that import foreign configurations (vmctl-import.c). */
#pragma once

/* vmctl domxml-from-native qemu-argv FILE: argv[0] is the verb, argv[1] the format, argv[2] FILE or "-".
 * Prints domain XML on stdout, notes and warnings on stderr. Returns the process exit status. */
int verb_domxml_from_native(int argc, char *argv[]);
void help_domxml_from_native(void);
