// C++ on the target: operator new/delete (libstdc++ calls malloc/free), std::vector growth and
// std::string all land in listheap. Exit code 0 when every check holds; each check prints.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include "listheap.h"

extern "C" unsigned char __heap_start[], __heap_end[];

namespace {

int failures = 0;

void say(const char *s) {
    std::size_t n = 0;
    while (s[n])
        n++;
    (void)write(1, s, n);
}

void expect(bool ok, const char *what) {
    say(ok ? "ok   " : "FAIL ");
    say(what);
    say("\n");
    failures += ok ? 0 : 1;
}

bool in_heap(const void *p) {
    auto a = reinterpret_cast<std::uintptr_t>(p);
    return a >= reinterpret_cast<std::uintptr_t>(__heap_start) &&
           a < reinterpret_cast<std::uintptr_t>(__heap_end);
}

listheap_stats stats() {
    listheap_stats s;
    listheap_get_stats(&s);
    return s;
}

struct Sensor {
    int id;
    double reading;
};

} // namespace

int main() {
    auto before = stats();
    auto *s = new Sensor{7, 1.5};
    expect(in_heap(s), "new Sensor lands in listheap's heap");
    expect(stats().live_blocks == before.live_blocks + 1, "new adds one live block");
    delete s;
    expect(stats().live_blocks == before.live_blocks, "delete gives it back");

    {
        std::vector<int> v;
        for (int i = 0; i < 1000; i++)
            v.push_back(i);
        expect(in_heap(v.data()), "std::vector storage lands in listheap");
        expect(stats().used_bytes >= before.used_bytes + 1000 * sizeof(int),
               "vector's 1000 ints are counted");
        std::string text = "again,hello";
        for (int i = 0; i < 5; i++)
            text += text;
        expect(in_heap(text.data()), "std::string storage lands in listheap");
        expect(text.size() == 11u * 32u, "std::string grew to 352 characters");
    }
    expect(stats().live_blocks == before.live_blocks, "every block freed at end of scope");
    expect(listheap_check() == LISTHEAP_OK, "listheap_check() passes");
    return failures;
}
