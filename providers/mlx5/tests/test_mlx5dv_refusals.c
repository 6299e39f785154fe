// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The mlx5dv_* entry points must refuse cleanly, never crash: NULL for a
 * mandatory argument gives EINVAL, anything else (an object some other
 * library made, or a context that is not an mlx5 device) EOPNOTSUPP.
 * Objects are simulated with zeroed memory the library must not touch.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <infiniband/mlx5dv.h>

static int failures;
static int checks;

static void expect_int(const char *what, int ret, int want)
{
	checks++;
	if (ret != want || errno != want) {
		printf("FAIL %s: returned %d, errno %d (%s); want %d\n", what,
		       ret, errno, strerror(errno), want);
		failures++;
	}
}

static void expect_null(const char *what, const void *ret, int want)
{
	checks++;
	if (ret || errno != want) {
		printf("FAIL %s: returned %p, errno %d (%s); want NULL, %d\n",
		       what, ret, errno, strerror(errno), want);
		failures++;
	}
}

static void expect_errno(const char *what, int want)
{
	checks++;
	if (errno != want) {
		printf("FAIL %s: errno %d (%s); want %d\n", what, errno,
		       strerror(errno), want);
		failures++;
	}
}

#define INT(call, want) (errno = 0, expect_int(#call, (call), (want)))
#define PTR(call, want) (errno = 0, expect_null(#call, (call), (want)))
#define VOID(call, want) (errno = 0, (call), expect_errno(#call, (want)))

/* Stands in for any object or context: zeroed, never to be written. */
static _Alignas(64) const unsigned char foreign_mem[4096];
#define FOREIGN ((void *)foreign_mem)

static void check_device_calls(void)
{
	struct mlx5dv_context attrs;
	struct mlx5dv_clock_info clock;
	struct mlx5dv_port port;
	struct mlx5dv_obj obj;
	struct mlx5dv_vfio_context_attr vfio = { .pci_name = "0000:00:00.0" };

	checks++;
	if (mlx5dv_is_supported(NULL) || mlx5dv_is_supported(FOREIGN)) {
		printf("FAIL mlx5dv_is_supported returned true\n");
		failures++;
	}
	PTR(mlx5dv_open_device(NULL, NULL), EINVAL);
	PTR(mlx5dv_open_device(FOREIGN, NULL), EOPNOTSUPP);
	INT(mlx5dv_query_device(NULL, &attrs), EINVAL);
	INT(mlx5dv_query_device(FOREIGN, NULL), EINVAL);
	INT(mlx5dv_query_device(FOREIGN, &attrs), EOPNOTSUPP);
	INT(mlx5dv_get_clock_info(NULL, &clock), EINVAL);
	INT(mlx5dv_get_clock_info(FOREIGN, NULL), EINVAL);
	INT(mlx5dv_get_clock_info(FOREIGN, &clock), EOPNOTSUPP);
	INT(mlx5dv_query_port(FOREIGN, 1, &port), EOPNOTSUPP);
	INT(_mlx5dv_query_port(FOREIGN, 1, NULL, 0), EINVAL);
	INT(mlx5dv_set_context_attr(FOREIGN, MLX5DV_CTX_ATTR_BUF_ALLOCATORS,
				    FOREIGN), EOPNOTSUPP);
	memset(&obj, 0, sizeof(obj));
	INT(mlx5dv_init_obj(&obj, MLX5DV_OBJ_QP), EOPNOTSUPP);
	INT(mlx5dv_init_obj(NULL, MLX5DV_OBJ_QP), EINVAL);
	PTR(mlx5dv_get_vfio_device_list(NULL), EINVAL);
	PTR(mlx5dv_get_vfio_device_list(&vfio), ENODEV);
	errno = 0;
	checks++;
	if (mlx5dv_vfio_get_events_fd(FOREIGN) != -1 || errno != EOPNOTSUPP) {
		printf("FAIL mlx5dv_vfio_get_events_fd: want -1/EOPNOTSUPP\n");
		failures++;
	}
	INT(mlx5dv_vfio_process_events(FOREIGN), EOPNOTSUPP);
}

/* Both bindings of mlx5dv_init_obj, as old and new binaries reach them. */
static void check_init_obj_versions(void)
{
	static const char *const versions[] = { "MLX5_1.0", "MLX5_1.2" };
	int (*init_obj)(struct mlx5dv_obj *, uint64_t);
	struct mlx5dv_obj obj;
	unsigned int i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		init_obj = (int (*)(struct mlx5dv_obj *, uint64_t))
			dlvsym(RTLD_DEFAULT, "mlx5dv_init_obj", versions[i]);
		checks++;
		if (!init_obj) {
			printf("FAIL mlx5dv_init_obj@%s not found\n",
			       versions[i]);
			failures++;
			continue;
		}
		memset(&obj, 0, sizeof(obj));
		errno = 0;
		expect_int(versions[i], init_obj(&obj, MLX5DV_OBJ_CQ),
			   EOPNOTSUPP);
	}
}

static void check_queue_calls(void)
{
	struct mlx5dv_mkey_init_attr mkey_attr = { .pd = FOREIGN };
	struct mlx5dv_mkey_err mkey_err;
	uint8_t port, active;
	uint32_t qpn;

	PTR(mlx5dv_create_cq(FOREIGN, FOREIGN, NULL), EOPNOTSUPP);
	PTR(mlx5dv_create_cq(FOREIGN, NULL, NULL), EINVAL);
	PTR(mlx5dv_create_qp(FOREIGN, FOREIGN, FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_create_qp(NULL, FOREIGN, NULL), EINVAL);
	PTR(mlx5dv_create_wq(FOREIGN, FOREIGN, NULL), EOPNOTSUPP);
	PTR(mlx5dv_qp_ex_from_ibv_qp_ex(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_qp_ex_from_ibv_qp_ex(NULL), EINVAL);
	INT(mlx5dv_qp_cancel_posted_send_wrs(FOREIGN, 1), EOPNOTSUPP);
	INT(mlx5dv_map_ah_to_qp(FOREIGN, 1), EOPNOTSUPP);
	INT(mlx5dv_query_qp_lag_port(FOREIGN, &port, &active), EOPNOTSUPP);
	INT(mlx5dv_query_qp_lag_port(FOREIGN, NULL, &active), EINVAL);
	INT(mlx5dv_modify_qp_lag_port(FOREIGN, 1), EOPNOTSUPP);
	INT(mlx5dv_modify_qp_udp_sport(NULL, 1), EINVAL);
	INT(mlx5dv_dci_stream_id_reset(FOREIGN, 0), EOPNOTSUPP);
	INT(mlx5dv_reserved_qpn_alloc(FOREIGN, &qpn), EOPNOTSUPP);
	INT(mlx5dv_reserved_qpn_dealloc(FOREIGN, 7), EOPNOTSUPP);
	PTR(mlx5dv_create_mkey(&mkey_attr), EOPNOTSUPP);
	PTR(mlx5dv_create_mkey(NULL), EINVAL);
	INT(mlx5dv_destroy_mkey(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_destroy_mkey(NULL), EINVAL);
	INT(mlx5dv_mkey_check(FOREIGN, &mkey_err), EOPNOTSUPP);
	PTR(mlx5dv_alloc_dm(FOREIGN, FOREIGN, FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_dm_map_op_addr(FOREIGN, 0), EOPNOTSUPP);
	INT(mlx5dv_modify_qp_sched_elem(FOREIGN, NULL, NULL), EOPNOTSUPP);
	PTR(mlx5dv_sched_node_create(FOREIGN, FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_sched_leaf_create(FOREIGN, NULL), EINVAL);
	INT(mlx5dv_sched_node_modify(FOREIGN, FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_sched_leaf_modify(FOREIGN, FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_sched_node_destroy(NULL), EINVAL);
	INT(mlx5dv_sched_leaf_destroy(FOREIGN), EOPNOTSUPP);
}

/* The calls perftest makes when it starts (crypto, DEVX, mkeys). */
static void check_crypto_calls(void)
{
	struct mlx5dv_crypto_login_attr login = { 0 };
	struct mlx5dv_dek_init_attr dek_attr = { 0 };
	struct mlx5dv_dek_attr dek_query;
	enum mlx5dv_crypto_login_state state;
	struct mlx5dv_crypto_login_query_attr query;

	INT(mlx5dv_crypto_login(FOREIGN, &login), EOPNOTSUPP);
	INT(mlx5dv_crypto_login(FOREIGN, NULL), EINVAL);
	INT(mlx5dv_crypto_login_query_state(FOREIGN, &state), EOPNOTSUPP);
	INT(mlx5dv_crypto_logout(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_crypto_login_create(FOREIGN, FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_crypto_login_query(FOREIGN, &query), EOPNOTSUPP);
	INT(mlx5dv_crypto_login_destroy(NULL), EINVAL);
	PTR(mlx5dv_dek_create(FOREIGN, &dek_attr), EOPNOTSUPP);
	INT(mlx5dv_dek_query(FOREIGN, &dek_query), EOPNOTSUPP);
	INT(mlx5dv_dek_destroy(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_dek_destroy(NULL), EINVAL);
}

static void check_devx_calls(void)
{
	struct mlx5dv_devx_umem_in umem_in = { 0 };
	uint32_t in[4] = { 0 }, out[4];
	uint16_t event = 0;
	uint32_t eqn;

	INT(mlx5dv_devx_general_cmd(FOREIGN, in, sizeof(in), out, sizeof(out)),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_general_cmd(NULL, in, sizeof(in), out, sizeof(out)),
	    EINVAL);
	PTR(mlx5dv_devx_obj_create(FOREIGN, in, sizeof(in), out, sizeof(out)),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_obj_query(FOREIGN, in, sizeof(in), out, sizeof(out)),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_obj_modify(FOREIGN, in, sizeof(in), out, sizeof(out)),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_obj_destroy(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_devx_obj_destroy(NULL), EINVAL);
	PTR(mlx5dv_devx_umem_reg(FOREIGN, out, sizeof(out), 0), EOPNOTSUPP);
	PTR(mlx5dv_devx_umem_reg_ex(FOREIGN, &umem_in), EOPNOTSUPP);
	PTR(mlx5dv_devx_umem_reg_ex(FOREIGN, NULL), EINVAL);
	INT(mlx5dv_devx_umem_dereg(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_devx_alloc_uar(FOREIGN, 0), EOPNOTSUPP);
	VOID(mlx5dv_devx_free_uar(FOREIGN), EOPNOTSUPP);
	VOID(mlx5dv_devx_free_uar(NULL), EINVAL);
	PTR(mlx5dv_alloc_var(FOREIGN, 0), EOPNOTSUPP);
	VOID(mlx5dv_free_var(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_devx_query_eqn(FOREIGN, 0, &eqn), EOPNOTSUPP);
	INT(mlx5dv_devx_cq_query(FOREIGN, in, sizeof(in), out, sizeof(out)),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_qp_modify(NULL, in, sizeof(in), out, sizeof(out)),
	    EINVAL);
	INT(mlx5dv_devx_srq_query(FOREIGN, in, sizeof(in), out, sizeof(out)),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_wq_modify(FOREIGN, in, sizeof(in), out, sizeof(out)),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_ind_tbl_query(FOREIGN, in, sizeof(in), out,
				      sizeof(out)), EOPNOTSUPP);
	PTR(mlx5dv_devx_create_cmd_comp(FOREIGN), EOPNOTSUPP);
	VOID(mlx5dv_devx_destroy_cmd_comp(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_devx_obj_query_async(FOREIGN, in, sizeof(in), sizeof(out),
					1, FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_devx_get_async_cmd_comp(FOREIGN, FOREIGN, 64), EOPNOTSUPP);
	PTR(mlx5dv_devx_create_event_channel(FOREIGN, 0), EOPNOTSUPP);
	VOID(mlx5dv_devx_destroy_event_channel(NULL), EINVAL);
	INT(mlx5dv_devx_subscribe_devx_event(FOREIGN, NULL, 2, &event, 0),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_subscribe_devx_event_fd(FOREIGN, 0, NULL, 0),
	    EOPNOTSUPP);
	errno = 0;
	checks++;
	if (mlx5dv_devx_get_event(FOREIGN, FOREIGN, 64) != -1 ||
	    errno != EOPNOTSUPP) {
		printf("FAIL mlx5dv_devx_get_event: want -1/EOPNOTSUPP\n");
		failures++;
	}
	PTR(mlx5dv_devx_alloc_msi_vector(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_devx_free_msi_vector(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_devx_create_eq(FOREIGN, in, sizeof(in), out, sizeof(out)),
	    EOPNOTSUPP);
	INT(mlx5dv_devx_destroy_eq(NULL), EINVAL);
	PTR(mlx5dv_pp_alloc(FOREIGN, sizeof(in), in, 0), EOPNOTSUPP);
	VOID(mlx5dv_pp_free(FOREIGN), EOPNOTSUPP);
}

static void check_flow_calls(void)
{
	struct mlx5dv_flow_matcher_attr matcher_attr = { 0 };
	struct mlx5dv_steering_anchor_attr anchor_attr = { 0 };
	uint64_t actions[1] = { 0 };

	PTR(mlx5dv_create_flow_matcher(FOREIGN, &matcher_attr), EOPNOTSUPP);
	PTR(mlx5dv_create_flow_matcher(FOREIGN, NULL), EINVAL);
	INT(mlx5dv_destroy_flow_matcher(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_create_flow(FOREIGN, FOREIGN, 0, NULL), EOPNOTSUPP);
	PTR(mlx5dv_create_steering_anchor(FOREIGN, &anchor_attr), EOPNOTSUPP);
	INT(mlx5dv_destroy_steering_anchor(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_create_flow_action_esp(FOREIGN, FOREIGN, NULL), EOPNOTSUPP);
	PTR(mlx5dv_create_flow_action_modify_header(FOREIGN, sizeof(actions),
						    actions, 0), EOPNOTSUPP);
	PTR(mlx5dv_create_flow_action_packet_reformat(NULL, 0, NULL, 0, 0),
	    EINVAL);
}

static void check_dr_calls(void)
{
	struct mlx5dv_dr_action *actions[1] = { FOREIGN };
	FILE *out = fopen("/dev/null", "w");

	PTR(mlx5dv_dr_domain_create(FOREIGN, MLX5DV_DR_DOMAIN_TYPE_NIC_RX),
	    EOPNOTSUPP);
	PTR(mlx5dv_dr_domain_create(NULL, MLX5DV_DR_DOMAIN_TYPE_NIC_RX), EINVAL);
	INT(mlx5dv_dr_domain_destroy(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_dr_domain_sync(FOREIGN, MLX5DV_DR_DOMAIN_SYNC_FLAGS_SW),
	    EOPNOTSUPP);
	VOID(mlx5dv_dr_domain_set_reclaim_device_memory(FOREIGN, true),
	     EOPNOTSUPP);
	VOID(mlx5dv_dr_domain_allow_duplicate_rules(NULL, true), EINVAL);
	PTR(mlx5dv_dr_table_create(FOREIGN, 0), EOPNOTSUPP);
	INT(mlx5dv_dr_table_destroy(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_dr_matcher_create(FOREIGN, 0, 0, FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_dr_matcher_destroy(NULL), EINVAL);
	INT(mlx5dv_dr_matcher_set_layout(FOREIGN, FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_dr_rule_create(FOREIGN, FOREIGN, 1, actions), EOPNOTSUPP);
	INT(mlx5dv_dr_rule_destroy(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_dest_ibv_qp(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_dest_table(FOREIGN), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_dest_root_table(FOREIGN, 0), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_dest_vport(FOREIGN, 0), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_dest_ib_port(FOREIGN, 1), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_dest_devx_tir(NULL), EINVAL);
	PTR(mlx5dv_dr_action_create_dest_array(FOREIGN, 0, NULL), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_drop(), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_default_miss(), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_tag(5), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_pop_vlan(), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_push_vlan(FOREIGN, 0), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_flow_counter(FOREIGN, 0), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_aso(FOREIGN, FOREIGN, 0, 0, 0), EOPNOTSUPP);
	INT(mlx5dv_dr_action_modify_aso(FOREIGN, 0, 0, 0), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_packet_reformat(FOREIGN, 0, 0, 0, NULL),
	    EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_modify_header(FOREIGN, 0, 0, NULL),
	    EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_flow_meter(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_dr_action_modify_flow_meter(FOREIGN, FOREIGN, 0), EOPNOTSUPP);
	PTR(mlx5dv_dr_action_create_flow_sampler(NULL), EINVAL);
	INT(mlx5dv_dr_action_destroy(FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_dr_action_destroy(NULL), EINVAL);
	INT(mlx5dv_dr_aso_other_domain_link(FOREIGN, FOREIGN, FOREIGN, 0, 0),
	    EOPNOTSUPP);
	INT(mlx5dv_dr_aso_other_domain_unlink(FOREIGN, NULL), EINVAL);
	INT(mlx5dv_dump_dr_domain(out, FOREIGN), EOPNOTSUPP);
	INT(mlx5dv_dump_dr_table(out, NULL), EINVAL);
	INT(mlx5dv_dump_dr_matcher(NULL, FOREIGN), EINVAL);
	INT(mlx5dv_dump_dr_rule(out, FOREIGN), EOPNOTSUPP);
	if (out)
		fclose(out);
}

int main(void)
{
	unsigned int i;

	check_device_calls();
	check_init_obj_versions();
	check_queue_calls();
	check_crypto_calls();
	check_devx_calls();
	check_flow_calls();
	check_dr_calls();

	/* The stand-in objects must be exactly as they were: all zero. */
	checks++;
	for (i = 0; i < sizeof(foreign_mem); i++) {
		if (foreign_mem[i]) {
			printf("FAIL foreign object modified at byte %u\n", i);
			failures++;
			break;
		}
	}

	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures ? 1 : 0;
}
