/* beta_probe: a static helper run inside the e2e test containers (FROM scratch images).
 *   beta_probe udp-recv PORT MS        prints the number of UDP datagrams received in MS ms
 *   beta_probe udp-send IP PORT COUNT  sends COUNT datagrams; prints how many send() accepted
 *   beta_probe tcp-recv PORT MS        accepts one connection; prints the bytes received
 *   beta_probe tcp-send IP PORT        connects and sends "hello"; exit 0 on success
 *   beta_probe http-get IP PORT PATH   one HTTP/1.0 GET; prints the whole response */
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
