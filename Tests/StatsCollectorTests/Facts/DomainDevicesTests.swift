import Testing

@testable import StatsCollector

@Suite struct DomainDevicesTests {
    @Test func readsDiskAndInterfaceTargetsFromDomainXML() {
        let xml = """
            <domain type='test'><name>t</name><devices>
              <disk type='file' device='disk'><source file='/guest/disk1'/><target dev='vda' bus='virtio'/></disk>
              <disk type='block' device='disk'><source dev='/dev/sdb'/><target dev='vdb'/></disk>
              <disk type='network' device='cdrom'><target dev='sda'/></disk>
              <disk type='file' device='disk'><source file='/no/target'/></disk>
              <interface type='network'><source network='default'/><target dev='testnet0'/></interface>
              <interface type='user'/>
            </devices></domain>
            """
        let devices = DomainDevices(xml: xml)
        #expect(
            devices.disks == [
                .init(target: "vda", source: "/guest/disk1"), .init(target: "vdb", source: "/dev/sdb"),
                .init(target: "sda", source: nil),
            ])
        #expect(devices.interfaces == ["testnet0"])
    }

    @Test func malformedXMLHasNoDevices() {
        let devices = DomainDevices(xml: "<domain><devices><disk>")
        #expect(devices.disks.isEmpty)
        #expect(devices.interfaces.isEmpty)
    }
}
