// ns-3 counterpart of bench/scenarios/syn-flood.yaml (issue 7, docs/performance.md): N SYNs at
// 10,000/s against one listener, from an attacker whose device drops everything it receives (so
// its stack never answers the SYN-ACKs with RSTs and every request stays half-open, as with
// spoofed sources), and a legitimate client connecting in the middle. ns-3's public API: the
// SYNs are TCP headers sent through a raw IPv4 socket. Built by bench/run_side_by_side.sh.
#include <cstdint>
#include <iostream>

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

using namespace ns3;

namespace {

bool g_connected = false;

void SendSyn(Ptr<Socket> raw, Ipv4Address server, uint32_t i) {
  TcpHeader h;
  h.SetSourcePort(static_cast<uint16_t>(1024 + i % 64000));  // distinct 4-tuples up to 64k
  h.SetDestinationPort(80);
  h.SetSequenceNumber(SequenceNumber32(i * 7919));
  h.SetFlags(TcpHeader::SYN);
  h.SetWindowSize(65535);
  Ptr<Packet> p = Create<Packet>();
  p->AddHeader(h);
  raw->SendTo(p, 0, InetSocketAddress(server, 0));
}

void Accept(Ptr<Socket>, const Address&) {}
void Connected(Ptr<Socket>) {
  g_connected = true;
}
void Failed(Ptr<Socket>) {}

void StartClient(Ptr<Node> node, Address server) {
  Ptr<Socket> s = Socket::CreateSocket(node, TcpSocketFactory::GetTypeId());
  s->Bind();
  s->SetConnectCallback(MakeCallback(&Connected), MakeCallback(&Failed));
  s->Connect(server);
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t n = 10000;
  double rate = 10000;
  CommandLine cmd;
  cmd.AddValue("n", "SYNs", n);
  cmd.AddValue("rate", "SYNs per second", rate);
  cmd.Parse(argc, argv);

  // client(0), attacker(1), router(2), server(3); 100 Mbps / 10 ms links as in the scenario.
  NodeContainer nodes;
  nodes.Create(4);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("100Mbps"));
  p2p.SetChannelAttribute("Delay", StringValue("10ms"));
  p2p.SetQueue("ns3::DropTailQueue", "MaxSize", StringValue("10000p"));
  NetDeviceContainer client_link = p2p.Install(nodes.Get(0), nodes.Get(2));
  NetDeviceContainer attacker_link = p2p.Install(nodes.Get(1), nodes.Get(2));
  NetDeviceContainer server_link = p2p.Install(nodes.Get(2), nodes.Get(3));
  Ptr<RateErrorModel> deaf = CreateObject<RateErrorModel>();
  deaf->SetAttribute("ErrorRate", DoubleValue(1.0));
  deaf->SetAttribute("ErrorUnit", StringValue("ERROR_UNIT_PACKET"));
  attacker_link.Get(0)->SetAttribute("ReceiveErrorModel", PointerValue(deaf));
  InternetStackHelper stack;
  stack.Install(nodes);
  Ipv4AddressHelper addresses;
  addresses.SetBase("10.0.1.0", "255.255.255.0");
  addresses.Assign(client_link);
  addresses.SetBase("10.0.2.0", "255.255.255.0");
  addresses.Assign(attacker_link);
  addresses.SetBase("10.0.3.0", "255.255.255.0");
  Ipv4InterfaceContainer server_ifs = addresses.Assign(server_link);
  Ipv4GlobalRoutingHelper::PopulateRoutingTables();
  Ipv4Address server = server_ifs.GetAddress(1);

  Ptr<Socket> listener = Socket::CreateSocket(nodes.Get(3), TcpSocketFactory::GetTypeId());
  listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), 80));
  listener->Listen();
  listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                              MakeCallback(&Accept));

  Ptr<Socket> raw = Socket::CreateSocket(nodes.Get(1), Ipv4RawSocketFactory::GetTypeId());
  raw->SetAttribute("Protocol", UintegerValue(6));
  for (uint32_t i = 0; i < n; ++i)
    Simulator::Schedule(Seconds(i / rate), &SendSyn, raw, server, i);
  Simulator::Schedule(Seconds(n / rate / 2), &StartClient, nodes.Get(0),
                      InetSocketAddress(server, 80));

  Simulator::Run();
  std::cout << n << " SYNs, legitimate client " << (g_connected ? "connected" : "NOT connected")
            << ", virtual end " << Simulator::Now().GetSeconds() << " s\n";
  Simulator::Destroy();
  return g_connected ? 0 : 1;
}
