/* beta_probe: a static helper run inside the e2e test containers (FROM scratch images).
 *   beta_probe udp-recv PORT MS        prints the number of UDP datagrams received in MS ms
 *   beta_probe udp-send IP PORT COUNT  sends COUNT datagrams; prints how many send() accepted
 *   beta_probe tcp-recv PORT MS        accepts one connection; prints the bytes received
 *   beta_probe tcp-send IP PORT        connects and sends "hello"; exit 0 on success
 *   beta_probe http-get IP PORT PATH   one HTTP/1.0 GET; prints the whole response
 *   beta_probe socks-get PROXY_IP PROXY_PORT HOST PORT PATH
 *                                      the same GET to HOST:PORT through a SOCKS5 proxy, HOST sent as
 *                                      a name (remote resolution) or, when it parses, as an IPv4
 *                                      literal; a refusal prints "socks reply N" and exits 4 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct sockaddr_in addr(const char* ip, int port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  if (ip) inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  if (!strcmp(argv[1], "udp-recv") && argc == 4) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = addr(NULL, atoi(argv[2]));
    if (bind(fd, (struct sockaddr*)&a, sizeof a)) return 3;
    long end = now_ms() + atol(argv[3]);
    int n = 0;
    char buf[2048];
    while (now_ms() < end) {
      struct pollfd p = {fd, POLLIN, 0};
      if (poll(&p, 1, (int)(end - now_ms())) == 1 && recv(fd, buf, sizeof buf, 0) >= 0) n++;
    }
    printf("%d\n", n);
    return 0;
  }
  if (!strcmp(argv[1], "udp-send") && argc == 5) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = addr(argv[2], atoi(argv[3]));
    int ok = 0, count = atoi(argv[4]);
    for (int i = 0; i < count; i++) {
      if (sendto(fd, "x", 1, 0, (struct sockaddr*)&a, sizeof a) == 1) ok++;
      usleep(20000);
    }
    printf("%d\n", ok);
    return 0;
  }
  if (!strcmp(argv[1], "tcp-recv") && argc == 4) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = addr(NULL, atoi(argv[2]));
    if (bind(fd, (struct sockaddr*)&a, sizeof a) || listen(fd, 1)) return 3;
    struct pollfd p = {fd, POLLIN, 0};
    long total = 0;
    if (poll(&p, 1, atoi(argv[3])) == 1) {
      int c = accept(fd, NULL, NULL);
      char buf[256];
      ssize_t n;
      while ((n = recv(c, buf, sizeof buf, 0)) > 0) total += n;
    }
    printf("%ld\n", total);
    return 0;
  }
  if (!strcmp(argv[1], "tcp-send") && argc == 4) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = addr(argv[2], atoi(argv[3]));
    if (connect(fd, (struct sockaddr*)&a, sizeof a)) return 1;
    return send(fd, "hello", 5, 0) == 5 ? 0 : 1;
  }
  if (!strcmp(argv[1], "socks-get") && argc == 7) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = addr(argv[2], atoi(argv[3]));
    if (connect(fd, (struct sockaddr*)&a, sizeof a)) return 1;
    unsigned char buf[4096];
    if (send(fd, "\x05\x01\x00", 3, 0) != 3 || recv(fd, buf, 2, MSG_WAITALL) != 2 || buf[1] != 0) return 1;
    size_t n = 0, host_len = strlen(argv[4]);
    int port = atoi(argv[5]);
    struct in_addr literal;
    buf[n++] = 5, buf[n++] = 1, buf[n++] = 0;
    if (inet_pton(AF_INET, argv[4], &literal) == 1) {
      buf[n++] = 1;
      memcpy(buf + n, &literal, 4), n += 4;
    } else {
      if (host_len > 255) return 2;
      buf[n++] = 3, buf[n++] = (unsigned char)host_len;
      memcpy(buf + n, argv[4], host_len), n += host_len;
    }
    buf[n++] = (unsigned char)(port >> 8), buf[n++] = (unsigned char)(port & 0xff);
    if (send(fd, buf, n, 0) != (ssize_t)n || recv(fd, buf, 10, MSG_WAITALL) != 10) return 1;
    if (buf[1] != 0) {
      printf("socks reply %d\n", buf[1]);
      return 4;
    }
    char req[1024];
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: x\r\n\r\n", argv[6]);
    if (send(fd, req, (size_t)len, 0) != len) return 1;
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0) fwrite(buf, 1, (size_t)r, stdout);
    return 0;
  }
  if (!strcmp(argv[1], "http-get") && argc == 5) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = addr(argv[2], atoi(argv[3]));
    if (connect(fd, (struct sockaddr*)&a, sizeof a)) return 1;
    char req[1024];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: beta\r\n\r\n", argv[4]);
    if (send(fd, req, (size_t)n, 0) != n) return 1;
    char buf[4096];
    ssize_t r;
    while ((r = recv(fd, buf, sizeof buf, 0)) > 0) fwrite(buf, 1, (size_t)r, stdout);
    return 0;
  }
  return 2;
}
