#
# vmunit: the AppArmor profile of one domain, the one whose UUID is in this file's name.
#
# vmunit-supervisor copies /etc/apparmor.d/vmunit/TEMPLATE.qemu to vmunit-UUID the first time
# the domain starts: the placeholder in the profile line becomes the profile name, vmunit-UUID,
# and an include of vmunit-UUID.files (the domain's own paths, rewritten at every start) goes
# before the last closing brace. vmunit-UUID is never overwritten: edit it to change one domain,
# or this template for domains that have not started yet. See vmunit.conf(5), security_driver.
#

#include <tunables/global>

profile vmunit-4b3e8d1a-62f0-4c55-9a8e-0a1b2c3d4e01 flags=(attach_disconnected) {
  #include <abstractions/vmunit-qemu>
  #include "/etc/apparmor.d/vmunit/vmunit-4b3e8d1a-62f0-4c55-9a8e-0a1b2c3d4e01.files"
}
