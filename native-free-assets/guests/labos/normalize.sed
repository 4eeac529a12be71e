# normalize.sed -- make a labos transcript comparable across platforms:
# drop the lines that describe the platform (they differ between QEMU and
# hvlab by design) and blank the fields that hold times or scores.
/^isa: /d
/^device: /d
/^sbi: spec /d
s/(ticks|score|uptime)=[0-9.]+/\1=_/g
