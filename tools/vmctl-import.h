/* vmctl's offline conversions between domain XML and native formats (vmctl-import.c). */
#pragma once

/* vmctl domxml-to-native qemu-argv FILE: argv[0] is the verb, argv[1] the format, argv[2] FILE or "-".
 * Prints the command line (or JSON with --json) on stdout. Returns the process exit status. */
int verb_domxml_to_native(int argc, char *argv[]);
void help_domxml_to_native(void);

/* vmctl domxml-from-native qemu-argv FILE: same arguments. Prints domain XML on stdout, notes and
 * warnings on stderr. Returns the process exit status. */
int verb_domxml_from_native(int argc, char *argv[]);
void help_domxml_from_native(void);
