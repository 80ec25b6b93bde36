// i18n.js: every UI string of the web app, in Chinese (first) and English, plus the
// locale-bound formatting (China Standard Time, masses in integer grams).
// Server-provided names (reference data, catalogue text) are not translated here:
// the server sends them in both languages and `pick()` chooses.

const STORAGE_KEY = 'hwtrace.lang';
const TIME_ZONE = 'Asia/Shanghai';

const zh = {
  'app.tagline': '危险废物全过程追溯 · 一物一码',
  'app.skip': '跳到主要内容',
  'app.nav': '主导航',
  'app.loading': '加载中…',
  'app.times_note': '所有时间均为北京时间（UTC+8）。',
  'lang.toggle': 'English',
  'lang.toggle_title': '切换语言 / Switch language',

  'nav.home': '首页',
  'nav.catalogue': '名录查询',
  'nav.enterprises': '企业',
  'nav.users': '用户',
  'nav.items': '物品',
  'nav.tokens': '令牌',
  'nav.login': '登录',
  'nav.logout': '退出',

  'common.created': '已创建',
  'common.revoked': '已吊销',
  'common.deleted': '已删除',
  'common.optional': '（选填）',
  'common.all': '全部',
  'common.none': '—',
  'common.filter': '筛选',
  'common.created_at': '创建时间',
  'common.actions': '操作',
  'common.empty': '暂无记录',

  'home.title': '首页',
  'home.lead': 'hwtrace 记录万盛经开区及綦江、南川每一件危险废物从产生到最终处置的全过程：一物一码，每次交接由双方签名，任何人都可用公钥审计日志。',
  'home.search_label': '查询危险废物代码',
  'home.search_button': '查询',
  'home.catalogue': '名录查询',
  'home.catalogue_text': '按代码、类别或名称查询《国家危险废物名录》。',
  'home.enterprises': '企业',
  'home.enterprises_text': '产废、收集、运输、利用处置单位及其许可证、车辆、驾驶员和设备。',
  'home.login': '登录',
  'home.login_text': '企业用户和监管人员请先登录。',
  'home.tokens': 'API 令牌',
  'home.tokens_text': '为程序和命令行工具创建访问令牌。',

  'catalogue.title': '危险废物名录查询',
  'catalogue.q': '代码、类别或名称',
  'catalogue.placeholder': '如 900-249-08、HW08、废矿物油',
  'catalogue.hint': '输入代码前缀（900-249 或 90024908）、类别（HW08）或中文名称。',
  'catalogue.prompt': '请输入查询内容。',
  'catalogue.total': '共 {total} 条（{version} 版名录），显示 {shown} 条',
  'catalogue.none': '没有找到匹配的废物代码',
  'catalogue.categories': '类别',
  'catalogue.industry': '行业来源',
  'catalogue.hazard': '危险特性',
  'catalogue.exemptions': '名录豁免（须符合豁免条件）',
  'catalogue.exempt_condition': '条件：{condition}',

  'login.title': '登录',
  'login.username': '用户名',
  'login.password': '密码',
  'login.submit': '登录',
  'login.already': '当前已登录：{name}',

  'ent.title': '企业',
  'ent.q': '名称或统一社会信用代码',
  'ent.role': '角色',
  'ent.district': '区县',
  'ent.district_hint': '监管所属区县；省外企业可不选，按其统一社会信用代码归入所在省份',
  'ent.district_outside': '（省外企业：按代码所在省份）',
  'ent.province': '登记机关所在地',
  'ent.county_unknown': '（区划代码不在2023年区划表中）',
  'ent.name': '名称',
  'ent.uscc': '统一社会信用代码',
  'ent.roles': '角色',
  'ent.contact': '联系人',
  'ent.phone': '联系电话',
  'ent.address': '地址',
  'ent.name_zh': '中文名称',
  'ent.name_en': '英文名称',
  'ent.add': '添加企业',
  'ent.uscc_hint': '18 位：数字和大写字母（不含 I、O、S、V、Z）。',
  'ent.uscc_len': '长度应为 18 位（当前 {n} 位）。',
  'ent.uscc_chars': '含有不允许的字符。',
  'ent.uscc_check': '校验码不符，应为 {c}。',
  'ent.uscc_ok': '格式和校验码正确。',

  'tab.label': '企业资料',
  'tab.permits': '许可证',
  'tab.vehicles': '车辆',
  'tab.drivers': '驾驶员',
  'tab.devices': '设备',

  'permit.number': '许可证编号',
  'permit.valid': '有效期',
  'permit.valid_from': '起始日期',
  'permit.valid_until': '截止日期',
  'permit.expired': '已过期',
  'permit.waste_codes': '核准废物代码',
  'permit.waste_codes_hint': '用逗号或空格分隔，如 HW08, 900-249-08',
  'permit.capacities': '核准经营规模（吨）',
  'permit.capacity_value': '{n} 吨/年',
  'permit.capacity_day_value': '{n} 吨/日',
  'permit.kind': '许可证类别',
  'permit.collection': '年收集能力（吨/年）',
  'permit.capacity_per': '经营规模单位',
  'permit.per_year': '吨/年',
  'permit.per_day': '吨/日',
  'permit.landfill': '填埋库容（立方米）',
  'permit.landfill_value': '{n} 立方米',
  'permit.integer_hint': '整数',
  'permit.add': '添加许可证',

  'vehicle.plate': '车牌号',
  'vehicle.type': '车辆类型',
  'vehicle.add': '添加车辆',

  'driver.name': '姓名',
  'driver.licence': '驾驶证号',
  'driver.phone': '电话',
  'driver.add': '添加驾驶员',

  'device.device': '设备名',
  'device.device_hint': '如 phone-1；完整名称为 信用代码/设备名。',
  'device.pubkey': '公钥（Base64，32 字节 Ed25519）',
  'device.genkey': '在本机生成密钥',
  'device.genkey_done': '已在本机生成密钥对。私钥不可导出，注册成功后保存在本浏览器中。',
  'device.key_id': '密钥 ID',
  'device.registered': '注册时间',
  'device.status': '状态',
  'device.active': '有效',
  'device.revoked_at': '已吊销（{time}）',
  'device.local': '本机密钥',
  'device.revoke': '吊销',
  'device.revoke_confirm': '确认吊销',
  'device.add': '注册设备',

  'user.title': '用户',
  'user.username': '用户名',
  'user.password': '密码',
  'user.display_name': '显示名称',
  'user.role': '角色',
  'user.enterprise': '所属企业（统一社会信用代码）',
  'user.district': '区县',
  'user.add': '添加用户',

  'token.title': 'API 令牌',
  'token.name': '名称',
  'token.last_used': '最近使用',
  'token.never': '从未使用',
  'token.delete': '删除',
  'token.delete_confirm': '确认删除',
  'token.add': '新建令牌',
  'token.new': '新令牌',
  'token.once': '令牌只显示这一次，请立即复制并妥善保存。',
  'token.copy': '复制',
  'token.copied': '已复制',
  'token.copy_failed': '无法自动复制，请手动选中复制。',

  'item.title': '物品',
  'item.new_link': '登记容器',
  'item.date': '产生日期',
  'item.state': '状态',
  'item.select': '选择',
  'item.select_all': '全选本页',
  'item.select_one': '选择 {code}',
  'item.code': '物品编码',
  'item.waste': '废物代码和名称',
  'item.mass': '净重',
  'item.generated_at': '产生时间',
  'item.print_selected': '打印所选标签',
  'item.selected': '已选 {n} 个',
  'item.too_many': '一次最多打印 {max} 个标签，请减少所选数量。',
  'item.label': '标签',
  'item.verify': '验证',
  'item.more': '更多',
  'item.shown': '显示 {n} 个',
  'item.none': '没有符合条件的物品',
  'state.stored': '在产生单位贮存',

  'gen.title': '登记容器',
  'gen.lead': '每个容器登记后获得一个物品编码和签名标签。数量大于 1 时，将按相同内容登记多个容器，便于一次打印。',
  'gen.enterprise_only': '只有产废企业的用户可以登记容器。',
  'gen.no_key': '本浏览器还没有 {name} 的设备密钥。登记容器需要用本机的设备密钥签名。',
  'gen.no_key_admin': '请到本企业的“设备”页，点击“在本机生成密钥”并注册设备，然后回到此页。',
  'gen.no_key_clerk': '请企业管理员在本浏览器登录，到本企业的“设备”页生成并注册密钥。',
  'gen.devices_link': '前往设备页',
  'gen.device': '签名设备（本机密钥）',
  'gen.waste_code': '废物代码',
  'gen.waste_code_hint': '输入代码或名称查询，如 900-249-08 或 废矿物油。',
  'gen.waste_found': '{desc}',
  'gen.waste_exempt': '部分情形可豁免（{stages}，须符合名录条件）',
  'gen.waste_unknown': '名录中没有找到此代码，将由服务器核对。',
  'gen.mass': '每个容器的净重（千克）',
  'gen.mass_hint': '最多 3 位小数，如 185.5',
  'gen.form': '物理形态',
  'gen.choose': '请选择',
  'gen.hazards': '危险特性',
  'gen.hazards_hint': '已按名录预先勾选，可修改。',
  'gen.packaging': '包装方式',
  'gen.packaging_placeholder': '如 200L钢桶',
  'gen.volume': '容器容积（升）',
  'gen.components': '主要成分',
  'gen.harmful': '有害成分',
  'gen.precautions': '注意事项',
  'gen.storage': '贮存地点',
  'gen.waste_name': '废物名称',
  'gen.waste_name_hint': '不填时使用名录中的名称。',
  'gen.count': '容器数量',
  'gen.count_hint': '1–200 个，内容相同，各得一个编码。',
  'gen.submit': '签名并登记',
  'gen.results': '登记结果',
  'gen.summary': '已登记 {accepted} 个，被拒绝 {refused} 个。',
  'gen.container': '第 {n} 个',
  'gen.print': '打印这些标签',
  'gen.to_items': '查看物品列表',
  'gen.signing': '正在签名 {n} 个容器…',

  'notfound.title': '页面不存在',
  'notfound.text': '没有这个页面。',
  'notfound.home': '返回首页',

  'err.network': '无法连接服务器，请检查网络后重试。',
  'err.http': '服务器错误（HTTP {status}）。',
  'err.forbidden': '没有权限访问此页面。',
  'err.keygen_unsupported': '此浏览器无法生成 Ed25519 密钥（需要较新的 Chromium，并通过 HTTPS 或 localhost 访问）。',
  'err.key_store': '设备已注册，但无法把密钥保存到本机：{msg}',
  'err.unexpected': '发生意外错误：{msg}',
  'err.bad_mass_input': '净重“{text}”无效：请输入千克数，最多 3 位小数。',
  'err.bad_count': '容器数量应为 1–200 的整数。',
  'err.no_device_key': '请选择本机的设备密钥。',
  'err.device_key_missing': '本浏览器中找不到设备密钥 {name}。',
  'err.sign_failed': '签名失败：{msg}',

  'nav.alerts': '预警',
  'nav.indicators': '统计指标',
  'nav.facilities': '处置设施',
  'nav.my_facility': '本单位核算',
  'footer.public': '利用处置设施能力公开',

  'home.alerts': '预警',
  'home.alerts_text': '贮存超期、运输超时、重量差异、超出许可等预警，及其解除和确认。',
  'home.indicators': '统计指标',
  'home.indicators_text': '工业危险废物安全处置率、医疗废物集中处置率和物料平衡。',
  'home.facilities': '处置设施核算',
  'home.facilities_text': '各利用处置单位的许可能力、年内处置量、利用率、库存和填埋库容。',
  'home.my_facility': '本单位处置能力核算',
  'home.my_facility_text': '本单位的许可能力、年内处置量、利用率、库存和填埋库容。',
  'home.public': '设施能力公开',
  'home.public_text': '无需登录：各利用处置设施的核准能力和本年利用情况。',

  'rule.storage_over_year': '利用处置单位贮存超过一年',
  'rule.medical_over_48h': '医疗废物超过48小时未处置',
  'rule.transit_too_long': '转移运输超时',
  'rule.receipt_overdue': '超过5个工作日未确认接收',
  'rule.weight_discrepancy': '重量差异',
  'rule.permit_scope': '超出许可范围',
  'rule.capacity_exceeded': '超过许可年处置能力',
  'rule.permit_expired': '许可证过期',
  'rule.key_revoked_use': '使用已吊销的密钥',
  'rule.log_integrity': '日志完整性校验失败',

  'alert.title': '预警',
  'alert.state': '状态',
  'alert.rule': '规则',
  'alert.id': '编号',
  'alert.subject': '对象',
  'alert.district': '区县',
  'alert.started': '开始时间',
  'alert.entries': '日志条目',
  'alert.detail': '详情',
  'alert.state.open': '未处理',
  'alert.state.acknowledged': '已确认',
  'alert.state.resolved': '已解除',
  'alert.entry.started': '触发',
  'alert.entry.resolved': '解除',
  'alert.entry.acked': '确认',
  'alert.resolved_at': '解除于 {time}',
  'alert.by_time': '（随时间解除）',
  'alert.shown': '显示 {n} 条，按时间从新到旧。',
  'alert.none': '没有符合条件的预警',
  'alert.sweep': '立即运行巡检',
  'alert.sweep_done': '巡检完成：检查了 {n} 件物品。',
  'alert.self_audit': '立即运行日志自审计',
  'alert.self_audit_done': '自审计完成：核对 {entries} 个日志条目，发现 {findings} 个问题，新开 {opened} 条预警。',
  'alert.admin_tools': '系统管理员：巡检每分钟自动运行，自审计每小时自动运行；也可以立即运行。',
  'alert.ack_explain': '确认预警须由生态环境主管部门的设备对 acknowledge 事件签名（见 docs/events.md），确认记录和其他交接一样写入可审计的日志；预警在消除其原因的事件发生时解除。',
  'alert.ack_no_key': '本浏览器中没有生态环境主管部门（角色“生态环境主管部门”的企业）的设备密钥，因此这里不能签名确认。可由该单位的企业管理员或系统管理员在其“设备”页生成并注册本机密钥。',
  'alert.ack_title': '签名确认预警',
  'alert.ack_alert': '预警',
  'alert.ack_device': '签名设备（本机密钥）',
  'alert.ack_note': '处理说明',
  'alert.ack_note_hint': '如：已约谈产生单位，改送有资质单位。',
  'alert.ack_submit': '签名并确认',
  'alert.ack_pick': '确认…',
  'alert.ack_done': '已确认预警 {id}，日志条目 {index}。',
  'alert.ack_none_open': '当前没有未处理的预警。',
  'alert.detail.expected_g': '申报',
  'alert.detail.weighed_g': '称重',
  'alert.detail.generator': '产生单位',
  'alert.detail.holder': '持有单位',
  'alert.detail.since': '自',
  'alert.detail.generated': '产生于',
  'alert.detail.manifest': '联单',
  'alert.detail.receiver_due': '应确认接收日期',
  'alert.detail.capacity_g': '许可能力',
  'alert.detail.treated_ytd_g': '年内处置',
  'alert.detail.over_permille': '超出',
  'alert.detail.reapplication_needed': '需重新申领许可',
  'alert.detail.valid_until': '有效期至',
  'alert.detail.owner': '所属单位',
  'alert.detail.device': '设备',
  'alert.detail.check': '检查项',
  'alert.detail.index': '条目',
  'alert.detail.item': '物品',
  'alert.detail.message': '说明',
  'common.yes': '是',
  'common.no': '否',

  'ind.title': '统计指标',
  'ind.from': '起始日期',
  'ind.to': '截止日期',
  'ind.district': '区县',
  'ind.by': '分组',
  'ind.by.category': '按类别',
  'ind.by.district': '按区县',
  'ind.by.generator': '按产生单位',
  'ind.by.code': '按废物代码',
  'ind.submit': '统计',
  'ind.period': '统计期 {from} 至 {to}（北京时间），状态截至 {as_of}',
  'ind.rates': '处置率',
  'ind.industrial': '工业危险废物安全处置率',
  'ind.medical': '医疗废物集中处置率',
  'ind.items': '件数',
  'ind.generated': '产生量',
  'ind.treated': '已处置',
  'ind.at_generator': '在产废单位',
  'ind.in_transit': '运输途中',
  'ind.at_facility': '在接收单位未处置',
  'ind.lost': '损失',
  'ind.rate': '处置率',
  'ind.no_waste': '统计期内无此类废物',
  'ind.definition': '口径',
  'ind.groups': '分组明细',
  'ind.group_key': '分组',
  'ind.group_name': '名称',
  'ind.balance': '物料平衡',
  'ind.balance_lead': '产生量 = 各处所在量 + 日志记录的变化（正数表示重量减少）',
  'ind.repacked': '已合并或分装',
  'ind.weighing': '称重差异',
  'ind.refused_at_gate': '拒收部分',
  'ind.treatment': '处置差异',
  'ind.correction': '更正',
  'ind.unexplained': '无法解释',
  'ind.difference': '差额',
  'ind.closes': '平衡',
  'ind.not_closes': '不平衡',
  'ind.lines': '有变化的物品',
  'ind.lines_shown': '共 {total} 件，显示前 {shown} 件（不平衡的在前）。',
  'ind.bucket': '所在',
  'ind.bucket.at_generator': '在产废单位',
  'ind.bucket.in_transit': '运输途中',
  'ind.bucket.at_facility': '在接收单位',
  'ind.bucket.treated': '已处置',
  'ind.bucket.repacked': '已合并或分装',
  'ind.bucket.lost': '损失',
  'ind.declared': '申报重量',
  'ind.mass_now': '现重量',

  'fac.title': '处置设施',
  'fac.lead': '利用处置单位的处置能力核算。公众可查看的汇总见',
  'fac.public_link': '设施能力公开页面',
  'fac.name': '名称',
  'fac.date': '统计日期',
  'fac.show': '查看',
  'fac.day': '第 {day} 天 / 共 {days} 天',
  'fac.received': '年内接收',
  'fac.received_value': '{mass}（{n} 件）',
  'fac.methods': '各处置方式',
  'fac.method': '处置方式',
  'fac.capacity': '许可能力（吨/年）',
  'fac.treated': '年内处置（吨）',
  'fac.prorated': '按日折算能力（吨）',
  'fac.utilisation': '利用率',
  'fac.projected': '全年预计（吨）',
  'fac.projected_pct': '预计占能力',
  'fac.days_left': '剩余能力可用天数',
  'fac.inventory': '库存（按废物代码）',
  'fac.waste_code': '废物代码',
  'fac.items': '件数',
  'fac.items_n': '{n} 件',
  'fac.mass': '重量',
  'fac.inventory_total': '库存合计',
  'fac.oldest': '库存最久的物品',
  'fac.oldest_value': '持有自 {time}，已 {days} 天',
  'fac.collection': '收集经营许可',
  'fac.collection_value': '年内接收 {received}，年收集能力 {capacity}（按日折算利用率 {pct}）',
  'fac.daily_capacity': '日处置能力（吨）',
  'fac.treated_on_date': '当日处置（吨）',
  'fac.days_over': '年内超日能力天数',
  'fac.landfill': '填埋库容',
  'fac.landfill_licensed': '核准库容',
  'fac.landfill_used': '已用',
  'fac.landfill_remaining': '剩余',
  'fac.m3': '{n} 立方米',
  'fac.none': '无',
  'unit.t': '吨',
};

const en = {
  'app.tagline': 'Hazardous-waste chain of custody · one item, one code',
  'app.skip': 'Skip to main content',
  'app.nav': 'Main navigation',
  'app.loading': 'Loading…',
  'app.times_note': 'All times are China Standard Time (UTC+8).',
  'lang.toggle': '中文',
  'lang.toggle_title': '切换语言 / Switch language',

  'nav.home': 'Home',
  'nav.catalogue': 'Waste catalogue',
  'nav.enterprises': 'Enterprises',
  'nav.users': 'Users',
  'nav.items': 'Items',
  'nav.tokens': 'API tokens',
  'nav.login': 'Log in',
  'nav.logout': 'Log out',

  'common.created': 'Created',
  'common.revoked': 'Revoked',
  'common.deleted': 'Deleted',
  'common.optional': ' (optional)',
  'common.all': 'All',
  'common.none': '—',
  'common.filter': 'Filter',
  'common.created_at': 'Created',
  'common.actions': 'Actions',
  'common.empty': 'Nothing here yet',

  'home.title': 'Home',
  'home.lead': 'hwtrace follows every container of hazardous waste in the Wansheng zone, Qijiang and Nanchuan from the moment it is generated until it is destroyed: one item, one code, every hand-over signed by both sides, and a log anyone with the public key can audit.',
  'home.search_label': 'Look up a waste code',
  'home.search_button': 'Search',
  'home.catalogue': 'Waste catalogue',
  'home.catalogue_text': 'Search the National Hazardous Waste List by code, category or name.',
  'home.enterprises': 'Enterprises',
  'home.enterprises_text': 'Generators, collection points, transporters and facilities, with their permits, vehicles, drivers and devices.',
  'home.login': 'Log in',
  'home.login_text': 'Enterprise users and regulators, please log in.',
  'home.tokens': 'API tokens',
  'home.tokens_text': 'Create access tokens for programs and the command line.',

  'catalogue.title': 'Hazardous waste catalogue',
  'catalogue.q': 'Code, category or name',
  'catalogue.placeholder': 'e.g. 900-249-08, HW08, 废矿物油',
  'catalogue.hint': 'Type a code prefix (900-249 or 90024908), a category (HW08) or Chinese text.',
  'catalogue.prompt': 'Type something to search.',
  'catalogue.total': '{total} found ({version} edition), showing {shown}',
  'catalogue.none': 'No matching waste codes',
  'catalogue.categories': 'Categories',
  'catalogue.industry': 'Industry',
  'catalogue.hazard': 'Hazard',
  'catalogue.exemptions': 'Exemptions of the list (when the condition is met)',
  'catalogue.exempt_condition': 'Condition: {condition}',

  'login.title': 'Log in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.already': 'Logged in as {name}',

  'ent.title': 'Enterprises',
  'ent.q': 'Name or USCC',
  'ent.role': 'Role',
  'ent.district': 'District',
  'ent.district_hint': 'The supervising district; an enterprise registered in another province may leave it empty and is placed under its province by its code',
  'ent.district_outside': '(another province: by its code)',
  'ent.province': 'Registered in',
  'ent.county_unknown': '(division code not in the 2023 list)',
  'ent.name': 'Name',
  'ent.uscc': 'Unified social credit code (USCC)',
  'ent.roles': 'Roles',
  'ent.contact': 'Contact',
  'ent.phone': 'Phone',
  'ent.address': 'Address',
  'ent.name_zh': 'Chinese name',
  'ent.name_en': 'English name',
  'ent.add': 'Add an enterprise',
  'ent.uscc_hint': '18 characters: digits and capital letters except I, O, S, V, Z.',
  'ent.uscc_len': 'Must be 18 characters (now {n}).',
  'ent.uscc_chars': 'Contains characters that are not allowed.',
  'ent.uscc_check': 'Check character does not match; expected {c}.',
  'ent.uscc_ok': 'Format and check character are valid.',

  'tab.label': 'Enterprise records',
  'tab.permits': 'Permits',
  'tab.vehicles': 'Vehicles',
  'tab.drivers': 'Drivers',
  'tab.devices': 'Devices',

  'permit.number': 'Permit number',
  'permit.valid': 'Valid',
  'permit.valid_from': 'Valid from',
  'permit.valid_until': 'Valid until',
  'permit.expired': 'Expired',
  'permit.waste_codes': 'Licensed waste codes',
  'permit.waste_codes_hint': 'Separated by commas or spaces, e.g. HW08, 900-249-08',
  'permit.capacities': 'Licensed capacity (t)',
  'permit.capacity_value': '{n} t/year',
  'permit.capacity_day_value': '{n} t/day',
  'permit.kind': 'Permit kind',
  'permit.collection': 'Collection capacity (t/year)',
  'permit.capacity_per': 'Capacity unit',
  'permit.per_year': 't/year',
  'permit.per_day': 't/day',
  'permit.landfill': 'Landfill volume (m³)',
  'permit.landfill_value': '{n} m³',
  'permit.integer_hint': 'whole number',
  'permit.add': 'Add a permit',

  'vehicle.plate': 'Plate',
  'vehicle.type': 'Vehicle type',
  'vehicle.add': 'Add a vehicle',

  'driver.name': 'Name',
  'driver.licence': 'Licence number',
  'driver.phone': 'Phone',
  'driver.add': 'Add a driver',

  'device.device': 'Device name',
  'device.device_hint': 'e.g. phone-1; the full name is USCC/device.',
  'device.pubkey': 'Public key (base64, 32-byte Ed25519)',
  'device.genkey': 'Generate a key on this device',
  'device.genkey_done': 'A key pair was generated on this device. The private key cannot be exported; it is kept in this browser once the device is registered.',
  'device.key_id': 'Key ID',
  'device.registered': 'Registered',
  'device.status': 'Status',
  'device.active': 'Active',
  'device.revoked_at': 'Revoked ({time})',
  'device.local': 'Key on this device',
  'device.revoke': 'Revoke',
  'device.revoke_confirm': 'Confirm revoke',
  'device.add': 'Register a device',

  'user.title': 'Users',
  'user.username': 'Username',
  'user.password': 'Password',
  'user.display_name': 'Display name',
  'user.role': 'Role',
  'user.enterprise': 'Enterprise (USCC)',
  'user.district': 'District',
  'user.add': 'Add a user',

  'token.title': 'API tokens',
  'token.name': 'Name',
  'token.last_used': 'Last used',
  'token.never': 'Never',
  'token.delete': 'Delete',
  'token.delete_confirm': 'Confirm delete',
  'token.add': 'Create a token',
  'token.new': 'New token',
  'token.once': 'This token is shown only once. Copy it now and keep it safe.',
  'token.copy': 'Copy',
  'token.copied': 'Copied',
  'token.copy_failed': 'Could not copy automatically; select the token and copy it by hand.',

  'item.title': 'Items',
  'item.new_link': 'Register a container',
  'item.date': 'Generated on',
  'item.state': 'State',
  'item.select': 'Select',
  'item.select_all': 'Select all on this page',
  'item.select_one': 'Select {code}',
  'item.code': 'Item code',
  'item.waste': 'Waste code and name',
  'item.mass': 'Net mass',
  'item.generated_at': 'Generated',
  'item.print_selected': 'Print selected labels',
  'item.selected': '{n} selected',
  'item.too_many': 'At most {max} labels can be printed at once; select fewer.',
  'item.label': 'Label',
  'item.verify': 'Verify',
  'item.more': 'More',
  'item.shown': '{n} shown',
  'item.none': 'No matching items',
  'state.stored': 'stored at its generator',

  'gen.title': 'Register a container',
  'gen.lead': 'Each registered container gets an item code and a signed label. With a count above 1, that many identical containers are registered, ready to print in one run.',
  'gen.enterprise_only': 'Only users of a generating enterprise can register containers.',
  'gen.no_key': 'This browser holds no device key of {name} yet. Registering containers needs a device key on this device to sign with.',
  'gen.no_key_admin': 'Go to the enterprise\'s Devices tab, press “Generate a key on this device”, register the device, then come back here.',
  'gen.no_key_clerk': 'Ask your enterprise administrator to log in on this browser and generate and register a key on the enterprise\'s Devices tab.',
  'gen.devices_link': 'Go to the Devices tab',
  'gen.device': 'Signing device (key on this device)',
  'gen.waste_code': 'Waste code',
  'gen.waste_code_hint': 'Type a code or a name, e.g. 900-249-08 or 废矿物油.',
  'gen.waste_found': '{desc}',
  'gen.waste_exempt': 'exempt in some cases ({stages}, under the conditions of the list)',
  'gen.waste_unknown': 'This code is not in the catalogue; the server will check it.',
  'gen.mass': 'Net mass per container (kg)',
  'gen.mass_hint': 'Up to 3 decimals, e.g. 185.5',
  'gen.form': 'Physical form',
  'gen.choose': 'Choose…',
  'gen.hazards': 'Hazards',
  'gen.hazards_hint': 'Pre-ticked from the catalogue; change if needed.',
  'gen.packaging': 'Packaging',
  'gen.packaging_placeholder': 'e.g. 200L钢桶 (200 L steel drum)',
  'gen.volume': 'Container volume (L)',
  'gen.components': 'Main components',
  'gen.harmful': 'Harmful components',
  'gen.precautions': 'Precautions',
  'gen.storage': 'Storage place',
  'gen.waste_name': 'Waste name',
  'gen.waste_name_hint': 'Leave empty to use the catalogue\'s name.',
  'gen.count': 'Number of containers',
  'gen.count_hint': '1–200 identical containers, each with its own code.',
  'gen.submit': 'Sign and register',
  'gen.results': 'Results',
  'gen.summary': '{accepted} registered, {refused} refused.',
  'gen.container': 'Container {n}',
  'gen.print': 'Print these labels',
  'gen.to_items': 'View the item list',
  'gen.signing': 'Signing {n} containers…',

  'notfound.title': 'Page not found',
  'notfound.text': 'There is no such page.',
  'notfound.home': 'Back to the home page',

  'err.network': 'Cannot reach the server. Check the connection and try again.',
  'err.http': 'Server error (HTTP {status}).',
  'err.forbidden': 'You are not allowed to see this page.',
  'err.keygen_unsupported': 'This browser cannot generate Ed25519 keys (it needs a recent Chromium, over HTTPS or on localhost).',
  'err.key_store': 'The device was registered but its key could not be stored on this device: {msg}',
  'err.unexpected': 'Unexpected error: {msg}',
  'err.bad_mass_input': 'Net mass “{text}” is not valid: type kilograms with at most 3 decimals.',
  'err.bad_count': 'The number of containers must be a whole number from 1 to 200.',
  'err.no_device_key': 'Choose a device key of this browser.',
  'err.device_key_missing': 'The device key {name} is not in this browser.',
  'err.sign_failed': 'Signing failed: {msg}',

  'nav.alerts': 'Alerts',
  'nav.indicators': 'Indicators',
  'nav.facilities': 'Facilities',
  'nav.my_facility': 'Our reconciliation',
  'footer.public': 'Public disclosure of treatment facilities',

  'home.alerts': 'Alerts',
  'home.alerts_text': 'Storage past its limit, transport too long, weight discrepancies, permits exceeded: raised, resolved and acknowledged.',
  'home.indicators': 'Indicators',
  'home.indicators_text': 'The industrial safe-disposal rate, the medical centralised disposal rate and the mass balance.',
  'home.facilities': 'Facility reconciliation',
  'home.facilities_text': 'Each treatment facility\'s licensed capacity, treatment this year, utilisation, inventory and landfill volume.',
  'home.my_facility': 'Our capacity reconciliation',
  'home.my_facility_text': 'Your licensed capacity, treatment this year, utilisation, inventory and landfill volume.',
  'home.public': 'Public disclosure',
  'home.public_text': 'No login: every treatment facility\'s licensed capacity and its use this year.',

  'rule.storage_over_year': 'stored at a facility for over a year',
  'rule.medical_over_48h': 'medical waste not disposed of within 48 hours',
  'rule.transit_too_long': 'in transit longer than the limit',
  'rule.receipt_overdue': 'receipt not confirmed within 5 working days',
  'rule.weight_discrepancy': 'weight discrepancy',
  'rule.permit_scope': 'outside the permit\'s scope',
  'rule.capacity_exceeded': 'licensed annual capacity exceeded',
  'rule.permit_expired': 'permit expired',
  'rule.key_revoked_use': 'a revoked key was used',
  'rule.log_integrity': 'log integrity check failed',

  'alert.title': 'Alerts',
  'alert.state': 'State',
  'alert.rule': 'Rule',
  'alert.id': 'No.',
  'alert.subject': 'Subject',
  'alert.district': 'District',
  'alert.started': 'Started',
  'alert.entries': 'Log entries',
  'alert.detail': 'Detail',
  'alert.state.open': 'open',
  'alert.state.acknowledged': 'acknowledged',
  'alert.state.resolved': 'resolved',
  'alert.entry.started': 'raised',
  'alert.entry.resolved': 'resolved',
  'alert.entry.acked': 'acknowledged',
  'alert.resolved_at': 'resolved {time}',
  'alert.by_time': '(resolved by time)',
  'alert.shown': '{n} shown, newest first.',
  'alert.none': 'No matching alerts',
  'alert.sweep': 'Run the sweep now',
  'alert.sweep_done': 'Sweep done: {n} items looked at.',
  'alert.self_audit': 'Run the self-audit now',
  'alert.self_audit_done': 'Self-audit done: {entries} log entries checked, {findings} findings, {opened} alerts opened.',
  'alert.admin_tools': 'Administrator: the sweep runs every minute and the self-audit every hour; either can be run now.',
  'alert.ack_explain': 'An alert is acknowledged by an acknowledge event signed by a regulator\'s device (see docs/events.md), logged as verifiably as any hand-over; the alert is resolved when the event that cures it happens.',
  'alert.ack_no_key': 'This browser holds no device key of a regulator (an enterprise with the role “regulator”), so it cannot sign an acknowledgement. The bureau\'s enterprise administrator or a system administrator can generate and register a key on this device on the bureau\'s Devices tab.',
  'alert.ack_title': 'Acknowledge an alert (signed)',
  'alert.ack_alert': 'Alert',
  'alert.ack_device': 'Signing device (key on this device)',
  'alert.ack_note': 'Note',
  'alert.ack_note_hint': 'e.g. Met the generator; the waste now goes to a licensed facility.',
  'alert.ack_submit': 'Sign and acknowledge',
  'alert.ack_pick': 'Acknowledge…',
  'alert.ack_done': 'Alert {id} acknowledged, log entry {index}.',
  'alert.ack_none_open': 'No open alerts.',
  'alert.detail.expected_g': 'declared',
  'alert.detail.weighed_g': 'weighed',
  'alert.detail.generator': 'generator',
  'alert.detail.holder': 'holder',
  'alert.detail.since': 'since',
  'alert.detail.generated': 'generated',
  'alert.detail.manifest': 'manifest',
  'alert.detail.receiver_due': 'receipt due',
  'alert.detail.capacity_g': 'licensed capacity',
  'alert.detail.treated_ytd_g': 'treated this year',
  'alert.detail.over_permille': 'over by',
  'alert.detail.reapplication_needed': 'new permit needed',
  'alert.detail.valid_until': 'valid until',
  'alert.detail.owner': 'owner',
  'alert.detail.device': 'device',
  'alert.detail.check': 'check',
  'alert.detail.index': 'entry',
  'alert.detail.item': 'item',
  'alert.detail.message': 'message',
  'common.yes': 'yes',
  'common.no': 'no',

  'ind.title': 'Indicators',
  'ind.from': 'From',
  'ind.to': 'To',
  'ind.district': 'District',
  'ind.by': 'Group by',
  'ind.by.category': 'category',
  'ind.by.district': 'district',
  'ind.by.generator': 'generator',
  'ind.by.code': 'waste code',
  'ind.submit': 'Show',
  'ind.period': 'Period {from} to {to} (China time), standing as of {as_of}',
  'ind.rates': 'Disposal rates',
  'ind.industrial': 'Industrial hazardous waste safe-disposal rate',
  'ind.medical': 'Medical waste centralised disposal rate',
  'ind.items': 'Items',
  'ind.generated': 'Generated',
  'ind.treated': 'Treated',
  'ind.at_generator': 'At generators',
  'ind.in_transit': 'In transit',
  'ind.at_facility': 'Untreated at receivers',
  'ind.lost': 'Lost',
  'ind.rate': 'Disposal rate',
  'ind.no_waste': 'None of this waste in the period',
  'ind.definition': 'Definition',
  'ind.groups': 'By group',
  'ind.group_key': 'Group',
  'ind.group_name': 'Name',
  'ind.balance': 'Mass balance',
  'ind.balance_lead': 'Generated = where it is + the changes the log records (positive: the mass went down)',
  'ind.repacked': 'Repacked (consolidated or split)',
  'ind.weighing': 'Weighing differences',
  'ind.refused_at_gate': 'Refused at the gate',
  'ind.treatment': 'Treatment differences',
  'ind.correction': 'Corrections',
  'ind.unexplained': 'Unexplained',
  'ind.difference': 'Difference',
  'ind.closes': 'closes',
  'ind.not_closes': 'does not close',
  'ind.lines': 'Items whose mass changed',
  'ind.lines_shown': '{total} items, the first {shown} shown (those that do not close first).',
  'ind.bucket': 'Where',
  'ind.bucket.at_generator': 'at generator',
  'ind.bucket.in_transit': 'in transit',
  'ind.bucket.at_facility': 'at receiver',
  'ind.bucket.treated': 'treated',
  'ind.bucket.repacked': 'repacked',
  'ind.bucket.lost': 'lost',
  'ind.declared': 'Declared',
  'ind.mass_now': 'Mass now',

  'fac.title': 'Treatment facilities',
  'fac.lead': 'Capacity reconciliation of treatment facilities. The public summary is on the',
  'fac.public_link': 'public disclosure page',
  'fac.name': 'Name',
  'fac.date': 'Date',
  'fac.show': 'Show',
  'fac.day': 'day {day} of {days}',
  'fac.received': 'Received this year',
  'fac.received_value': '{mass} ({n} items)',
  'fac.methods': 'By treatment method',
  'fac.method': 'Method',
  'fac.capacity': 'Licensed capacity (t/year)',
  'fac.treated': 'Treated this year (t)',
  'fac.prorated': 'Capacity to date (t)',
  'fac.utilisation': 'Utilisation',
  'fac.projected': 'Projected for the year (t)',
  'fac.projected_pct': 'Projected of capacity',
  'fac.days_left': 'Days of capacity left',
  'fac.inventory': 'Inventory by waste code',
  'fac.waste_code': 'Waste code',
  'fac.items': 'Items',
  'fac.items_n': '{n} items',
  'fac.mass': 'Mass',
  'fac.inventory_total': 'Inventory in total',
  'fac.oldest': 'Oldest item in store',
  'fac.oldest_value': 'held since {time}, {days} days',
  'fac.collection': 'Collection licence',
  'fac.collection_value': 'received {received} this year against {capacity} a year ({pct} of the pro-rated capacity)',
  'fac.daily_capacity': 'Daily capacity (t)',
  'fac.treated_on_date': 'Treated on the date (t)',
  'fac.days_over': 'Days over the daily capacity',
  'fac.landfill': 'Landfill volume',
  'fac.landfill_licensed': 'Licensed',
  'fac.landfill_used': 'Used',
  'fac.landfill_remaining': 'Remaining',
  'fac.m3': '{n} m³',
  'fac.none': 'none',
  'unit.t': 't',
};

export const tables = { zh, en };

let current = localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';

/** The current language: 'zh' or 'en'. */
export function lang() {
  return current;
}

/** Switches language, remembers it, and updates `<html lang>`. */
export function setLang(next) {
  current = next === 'en' ? 'en' : 'zh';
  localStorage.setItem(STORAGE_KEY, current);
  applyLang();
}

export function applyLang() {
  document.documentElement.lang = current === 'zh' ? 'zh-CN' : 'en';
}

/** Looks up `key` and fills `{name}` placeholders from `vars`. */
export function t(key, vars = {}) {
  const text = tables[current][key] ?? tables.zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export function has(key) {
  return key in tables[current];
}

/** Picks the Chinese or English field of a server object, falling back to Chinese. */
export function pick(obj, base = 'name') {
  if (!obj) return '';
  const en = obj[`${base}_en`];
  return current === 'en' && en ? en : obj[`${base}_zh`] ?? en ?? '';
}

// ---- time: always China Standard Time, whatever the browser's zone ----

const partsFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});

function cstParts(date) {
  return Object.fromEntries(partsFormat.formatToParts(date).map((p) => [p.type, p.value]));
}

/** RFC 3339 UTC → "YYYY-MM-DD HH:mm" in Asia/Shanghai; unparseable input is returned as is. */
export function formatTime(rfc3339) {
  if (!rfc3339) return '';
  const date = new Date(rfc3339);
  if (Number.isNaN(date.getTime())) return String(rfc3339);
  const p = cstParts(date);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/** Today's date in Asia/Shanghai as "YYYY-MM-DD" (comparable with permit dates as strings). */
export function todayCst(now = new Date()) {
  const p = cstParts(now);
  return `${p.year}-${p.month}-${p.day}`;
}

// ---- numbers and masses: integers only, no float arithmetic ----

function group(digits) {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Formats an integer with thousands separators. */
export function formatInt(n) {
  const s = String(n);
  return /^-?\d+$/.test(s) ? (s[0] === '-' ? '-' + group(s.slice(1)) : group(s)) : s;
}

/**
 * Formats integer grams as g, kg or t, exactly: the decimal point is placed by string
 * slicing, so no float ever touches the value (1234567 → "1.234567 t", 2500 → "2.5 kg").
 */
export function formatMass(grams) {
  const s = String(grams);
  if (!/^-?\d+$/.test(s)) return s;
  const sign = s[0] === '-' ? '-' : '';
  const digits = s.replace('-', '').replace(/^0+(?=\d)/, '');
  const [shift, unit] = digits.length > 6 ? [6, 't'] : digits.length > 3 ? [3, 'kg'] : [0, 'g'];
  if (shift === 0) return `${sign}${digits} g`;
  const whole = digits.slice(0, -shift);
  const frac = digits.slice(-shift).replace(/0+$/, '');
  return `${sign}${group(whole)}${frac ? '.' + frac : ''} ${unit}`;
}

/**
 * Parses a decimal text in kg (or t) into integer grams without floats:
 * parseMass("12.5", "kg") → 12500. Returns null for anything that is not an exact amount.
 */
export function parseMass(text, unit = 'kg') {
  const places = unit === 't' ? 6 : unit === 'kg' ? 3 : 0;
  const m = /^\s*(\d+)(?:\.(\d+))?\s*$/.exec(String(text).replace(/,/g, ''));
  if (!m || (m[2] || '').length > places) return null;
  const grams = Number(m[1] + (m[2] || '').padEnd(places, '0'));
  return Number.isSafeInteger(grams) ? grams : null;
}

/**
 * Integer grams as tonnes to the kilogram, rounded half up by integer arithmetic, without
 * the unit (1234567 → "1.235", -500 → "-0.001").
 */
export function tonnes(grams) {
  const s = String(grams);
  if (!/^-?\d+$/.test(s)) return s;
  const sign = s[0] === '-' ? '-' : '';
  const g = Number(s.replace('-', ''));
  if (!Number.isSafeInteger(g)) return s;
  const kg = String(Math.floor(g / 1000) + (g % 1000 >= 500 ? 1 : 0)).padStart(4, '0');
  const text = `${group(kg.slice(0, -3))}.${kg.slice(-3)}`;
  return `${text === '0.000' ? '' : sign}${text}`;
}

/** Integer grams as tonnes with the unit of the current language ("1.235 吨", "1.235 t"). */
export function formatTonnes(grams) {
  return `${tonnes(grams)} ${current === 'zh' ? '吨' : 't'}`;
}

/** A ‰ integer as a percentage with one decimal, exactly (1002 → "100.2%"); null → "—". */
export function formatPermille(permille) {
  if (permille === null || permille === undefined) return '—';
  const s = String(permille);
  if (!/^\d+$/.test(s)) return s;
  const p = s.padStart(2, '0');
  return `${group(p.slice(0, -1))}.${p.slice(-1)}%`;
}

/** Integer litres as cubic metres, exactly ("12500" → "12.5"); negative allowed. */
export function formatLitresAsM3(litres) {
  const s = String(litres);
  if (!/^-?\d+$/.test(s)) return s;
  const sign = s[0] === '-' ? '-' : '';
  const digits = s.replace('-', '').padStart(4, '0');
  const whole = digits.slice(0, -3).replace(/^0+(?=\d)/, '');
  const frac = digits.slice(-3).replace(/0+$/, '');
  return `${sign}${group(whole)}${frac ? '.' + frac : ''}`;
}
