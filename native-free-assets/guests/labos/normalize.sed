# normalize.sed -- make a labos transcript comparable across platforms:
# drop the lines that describe the platform (they differ between QEMU and
# hvlab by design) and blank the fields that hold times or scores.
/^isa: /d
/^device: /d
/^sbi: spec /d
s/(ticks|score|uptime)=[0-9.]+/\1=_/g
# The virtio slot a device sits in: QEMU fills them from the top, hvlab from the bottom.
s/virtio_mmio@[0-9a-f]+(,?) irq [0-9]+/virtio_mmio@_\1 irq _/g
