// ns-3 counterpart of bench/scenarios/handshake-echo.yaml (issue 7, docs/performance.md): N
// connections `interval` apart over 10 Mbps / 10 ms, each a handshake, 13 bytes each way and a
// four-way close (the client closes first), with ns-3's public socket API.
// TCP set up as netsim's `linux` profile (linux_like.h). Built by bench/run_side_by_side.sh
// when libns3-dev is installed.
#include <cstdint>
#include <iostream>
#include <map>

#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include "linux_like.h"

using namespace ns3;

namespace {

constexpr uint32_t kMessage = 13;  // "Hello,server!"
uint64_t g_echoed = 0;             // connections whose 13 bytes came back
std::map<Socket*, uint32_t> g_received;

void ServerRecv(Ptr<Socket> s) {
  while (Ptr<Packet> p = s->Recv()) {
    if (p->GetSize() == 0) break;
    s->Send(p);  // echo
  }
}

void ServerPeerClosed(Ptr<Socket> s) {
  s->Close();
}  // the client's FIN: close too

void ServerAccept(Ptr<Socket> s, const Address&) {
  s->SetRecvCallback(MakeCallback(&ServerRecv));
  s->SetCloseCallbacks(MakeCallback(&ServerPeerClosed), MakeCallback(&ServerPeerClosed));
}

void ClientConnected(Ptr<Socket> s) {
  uint8_t msg[kMessage] = {'H', 'e', 'l', 'l', 'o', ',', 's', 'e', 'r', 'v', 'e', 'r', '!'};
  s->Send(Create<Packet>(msg, kMessage));
}

void ClientConnectFailed(Ptr<Socket>) {}

void ClientRecv(Ptr<Socket> s) {
  uint32_t& got = g_received[PeekPointer(s)];
  while (Ptr<Packet> p = s->Recv()) {
    if (p->GetSize() == 0) break;
    got += p->GetSize();
  }
  if (got >= kMessage) {
    ++g_echoed;
    g_received.erase(PeekPointer(s));
    s->Close();
  }
}

void StartClient(Ptr<Node> node, Address server) {
  Ptr<Socket> s = Socket::CreateSocket(node, TcpSocketFactory::GetTypeId());
  s->Bind();
  s->SetConnectCallback(MakeCallback(&ClientConnected), MakeCallback(&ClientConnectFailed));
  s->SetRecvCallback(MakeCallback(&ClientRecv));
  s->Connect(server);
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t n = 10000;
  double interval = 0.1;
  CommandLine cmd;
  cmd.AddValue("n", "connections", n);
  cmd.AddValue("interval", "seconds between connection starts", interval);
  cmd.Parse(argc, argv);
  netsim_bench::UseLinuxTcp();  // SACK, TS, wscale, CUBIC, PRR: as netsim's `linux`

  NodeContainer nodes;
  nodes.Create(2);
  PointToPointHelper p2p;
  p2p.SetDeviceAttribute("DataRate", StringValue("10Mbps"));
  p2p.SetChannelAttribute("Delay", StringValue("10ms"));
  p2p.SetQueue("ns3::DropTailQueue", "MaxSize", StringValue("1000p"));
  NetDeviceContainer devices = p2p.Install(nodes);
  InternetStackHelper stack;
  stack.Install(nodes);
  Ipv4AddressHelper addresses;
  addresses.SetBase("10.0.0.0", "255.255.255.0");
  Ipv4InterfaceContainer ifs = addresses.Assign(devices);

  Ptr<Socket> listener = Socket::CreateSocket(nodes.Get(1), TcpSocketFactory::GetTypeId());
  listener->Bind(InetSocketAddress(Ipv4Address::GetAny(), 20000));
  listener->Listen();
  listener->SetAcceptCallback(MakeNullCallback<bool, Ptr<Socket>, const Address&>(),
                              MakeCallback(&ServerAccept));
  Address server = InetSocketAddress(ifs.GetAddress(1), 20000);
  for (uint32_t i = 0; i < n; ++i)
    Simulator::Schedule(Seconds(i * interval), &StartClient, nodes.Get(0), server);

  Simulator::Run();
  std::cout << g_echoed << " of " << n << " connections echoed, virtual end "
            << Simulator::Now().GetSeconds() << " s\n";
  Simulator::Destroy();
  return g_echoed == n ? 0 : 1;
}
