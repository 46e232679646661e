/*
 * gen_shop.c - deterministic generator of a small shop for the demo.
 *
 * Writes an SQL script (stdout) that creates and fills:
 *   products(item_id, name, category, price)      200 products, 8 categories
 *   customers(user_id, name, likes)               500 customers
 *   events(user_id, item_id, event, ts)           view / cart / purchase
 * Customers have real taste: one or two favourite categories and a price
 * tier (budget or premium), so the recommendations have something to learn.
 * A fixed-seed PRNG (splitmix64) makes every run produce the same shop.
 */
#include <stdint.h>
#include <stdio.h>

#define N_CATS 8
#define PER_CAT 25
#define N_PRODUCTS (N_CATS * PER_CAT)
#define N_USERS 500

static const char *const CATS[N_CATS] = {"coffee", "tea", "books", "kitchen",
                                         "outdoor", "music", "pets", "garden"};
/* Five kinds of product per category; five variants each make 25 names. */
static const char *const KINDS[N_CATS][5] = {
	{"Espresso Beans", "Filter Roast", "Cold Brew Pack", "Moka Pot", "Milk Frother"},
	{"Green Tea", "Earl Grey", "Rooibos", "Chai Blend", "Tea Infuser"},
	{"Crime Novel", "Cookbook", "Travel Guide", "Poetry Collection", "Sci-Fi Saga"},
	{"Chef Knife", "Cast Iron Pan", "Cutting Board", "Spice Rack", "Stock Pot"},
	{"Trail Backpack", "Camping Stove", "Rain Jacket", "Headlamp", "Water Filter"},
	{"Vinyl Record", "Headphones", "Guitar Strings", "Bluetooth Speaker", "Metronome"},
	{"Dog Leash", "Cat Tree", "Pet Bed", "Chew Toy", "Aquarium Kit"},
	{"Pruning Shears", "Seed Collection", "Watering Can", "Raised Bed Kit", "Compost Bin"}};
static const char *const VARIANTS[5] = {"Classic", "Organic", "Deluxe", "Everyday", "Artisan"};
static const double BASE_PRICE[N_CATS] = {12, 8, 15, 35, 60, 25, 20, 18};
static const char *const FIRST[10] = {"Ada", "Ben", "Chloe", "Dev", "Elif",
                                      "Farid", "Greta", "Hugo", "Ines", "Jonas"};

typedef struct product {
	int cat;
	double price;
	double appeal; /* some products are simply more popular */
	int premium;
} product;

typedef struct customer {
	int likes[2]; /* favourite categories (likes[1] may equal likes[0]) */
	int premium;  /* prefers premium products */
	int n_events;
} customer;

static uint64_t rng_state = 42;

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform double in [0, 1). */
static double uniform(void)
{
	return (double)(next_u64() >> 11) / 9007199254740992.0;
}

/* Uniform integer in [0, n). */
static int below(int n)
{
	return (int)(uniform() * n);
}

/* Products: category, name from kind and variant, price, appeal. */
static void make_products(product *p)
{
	for (int i = 0; i < N_PRODUCTS; i++) {
		int variant = i % 5;
		double u = uniform();
		p[i].cat = i / PER_CAT;
		p[i].premium = variant == 2 || variant == 4;
		p[i].price = BASE_PRICE[p[i].cat] * (p[i].premium ? 2.2 : 1.0) * (0.8 + 0.4 * uniform());
		p[i].appeal = 0.2 + 2.0 * u * u * u;
	}
}

/* Customers: one or two favourite categories and a price tier. */
static void make_customers(customer *c)
{
	for (int u = 0; u < N_USERS; u++) {
		c[u].likes[0] = below(N_CATS);
		c[u].likes[1] = uniform() < 0.6 ? below(N_CATS) : c[u].likes[0];
		c[u].premium = uniform() < 0.35;
		c[u].n_events = 8 + below(30);
	}
}

/* The category of a customer's next visit: mostly a favourite. */
static int pick_category(const customer *c)
{
	double r = uniform();
	if (r < 0.6)
		return c->likes[0];
	if (r < 0.88)
		return c->likes[1];
	return below(N_CATS);
}

/* A product of category cat, by appeal and by the customer's price tier. */
static int pick_product(const product *p, const customer *c, int cat)
{
	double w[PER_CAT], total = 0;
	for (int j = 0; j < PER_CAT; j++) {
		const product *q = &p[cat * PER_CAT + j];
		w[j] = q->appeal * (q->premium == c->premium ? 3.0 : 1.0);
		total += w[j];
	}
	double r = uniform() * total;
	for (int j = 0; j < PER_CAT; j++) {
		if ((r -= w[j]) < 0)
			return cat * PER_CAT + j;
	}
	return cat * PER_CAT + PER_CAT - 1;
}

/* SQL for the tables and the products and customers rows. */
static void print_catalogue(const product *p, const customer *c)
{
	printf("BEGIN;\n"
	       "CREATE TABLE products(item_id TEXT PRIMARY KEY, name TEXT, category TEXT, price REAL);\n"
	       "CREATE TABLE customers(user_id TEXT PRIMARY KEY, name TEXT, likes TEXT, tier TEXT);\n"
	       "CREATE TABLE events(user_id TEXT, item_id TEXT, event TEXT, ts TEXT);\n");
	for (int i = 0; i < N_PRODUCTS; i++)
		printf("INSERT INTO products VALUES('p%03d', '%s %s', '%s', %.2f);\n", i, VARIANTS[i % 5],
		       KINDS[p[i].cat][(i % PER_CAT) / 5], CATS[p[i].cat], (int)p[i].price + 0.99);
	for (int u = 0; u < N_USERS; u++) {
		const customer *x = &c[u];
		printf("INSERT INTO customers VALUES('c%03d', '%s %c.', '%s%s%s', '%s');\n", u,
		       FIRST[below(10)], 'A' + below(26), CATS[x->likes[0]],
		       x->likes[1] != x->likes[0] ? ", " : "",
		       x->likes[1] != x->likes[0] ? CATS[x->likes[1]] : "", x->premium ? "premium" : "budget");
	}
}

/* One customer's visits: views, some carts, fewer purchases, in time order. */
static void print_events(const product *p, const customer *c, int u)
{
	long ts = 1709251200L + (long)below(30 * 86400); /* from 2024-03-01 */
	for (int e = 0; e < c->n_events; e++) {
		int item = pick_product(p, c, pick_category(c));
		printf("INSERT INTO events VALUES('c%03d', 'p%03d', 'view', datetime(%ld, 'unixepoch'));\n",
		       u, item, ts);
		if (uniform() < 0.35) {
			ts += 60 + below(600);
			printf("INSERT INTO events VALUES('c%03d', 'p%03d', 'cart', datetime(%ld, 'unixepoch'));\n",
			       u, item, ts);
			if (uniform() < 0.55) {
				ts += 60 + below(900);
				printf("INSERT INTO events VALUES('c%03d', 'p%03d', 'purchase', "
				       "datetime(%ld, 'unixepoch'));\n", u, item, ts);
			}
		}
		ts += 3600 + below(48 * 3600);
	}
}

/* Write the whole shop as one SQL transaction. */
int main(void)
{
	static product products[N_PRODUCTS];
	static customer customers[N_USERS];
	make_products(products);
	make_customers(customers);
	print_catalogue(products, customers);
	for (int u = 0; u < N_USERS; u++)
		print_events(products, &customers[u], u);
	printf("COMMIT;\n");
	return 0;
}
