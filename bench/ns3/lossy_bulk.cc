// ns-3 counterpart of bench/scenarios/lossy-bulk.yaml (issue 7, docs/performance.md): 100 MB
// over 10 Mbps / 10 ms with 1% packet loss each way, BulkSend to PacketSink, ns-3's public API.
// TCP set up as netsim's `linux` profile (linux_like.h). Built by bench/run_side_by_side.sh
// when libns3-dev is installed.
#include <cstdint>
#include <iostream>

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include "linux_like.h"

using namespace ns3;

int main(int argc, char** argv) {
  uint64_t bytes = 100'000'000;
  double loss = 0.01;
  CommandLine cmd;
  cmd.AddValue("bytes", "bytes to send", bytes);
  cmd.AddValue("loss", "packet loss probability each way", loss);
  cmd.Parse(argc, argv);
  netsim_bench::UseLinuxTcp();  // SACK, TS, wscale, CUBIC, PRR: as netsim's `linux`

  NodeContainer nodes;
  nodes.Create(2);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("10Mbps"));
  p2p.SetChannelAttribute("Delay", StringValue("10ms"));
  p2p.SetQueue("ns3::DropTailQueue", "MaxSize", StringValue("100p"));
  NetDeviceContainer devices = p2p.Install(nodes);
  for (uint32_t i = 0; i < 2; ++i) {
    Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
    em->SetAttribute("ErrorRate", DoubleValue(loss));
    em->SetAttribute("ErrorUnit", StringValue("ERROR_UNIT_PACKET"));
    devices.Get(i)->SetAttribute("ReceiveErrorModel", PointerValue(em));
  }
  InternetStackHelper stack;
  stack.Install(nodes);
  Ipv4AddressHelper addresses;
  addresses.SetBase("10.0.0.0", "255.255.255.0");
  Ipv4InterfaceContainer ifs = addresses.Assign(devices);

  PacketSinkHelper sink("ns3::TcpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), 5001));
  ApplicationContainer sink_app = sink.Install(nodes.Get(1));
  BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(ifs.GetAddress(1), 5001));
  bulk.SetAttribute("MaxBytes", UintegerValue(bytes));
  bulk.Install(nodes.Get(0)).Start(Seconds(0.02));

  Simulator::Run();
  uint64_t received = DynamicCast<PacketSink>(sink_app.Get(0))->GetTotalRx();
  std::cout << "received " << received << " bytes, virtual end " << Simulator::Now().GetSeconds()
            << " s\n";
  Simulator::Destroy();
  return received == bytes ? 0 : 1;
}
